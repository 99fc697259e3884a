import type { Detector, OperationName } from '../types';
const registry: { [N in OperationName]?: Detector<N> } = {};
export function detectorFor<N extends OperationName>(name: N): Detector<N> | undefined {
  return registry[name] as Detector<N> | undefined;
}
