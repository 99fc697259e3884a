import type { Detector, OperationName } from '../types';
import { detectCommandInjection } from './command';

/**
 * Operation → injection detector. A sink with no detector here is still
 * subject to policy; it just has no taint check.
 */
const registry: { [N in OperationName]?: Detector<N> } = {
  'process.spawn': detectCommandInjection,
};

export function detectorFor<N extends OperationName>(name: N): Detector<N> | undefined {
  return registry[name] as Detector<N> | undefined;
}
