import type { Detector, OperationName } from '../types';
import { detectCodeInjection } from './code';
import { detectCommandInjection } from './command';
import { detectPathTraversal, detectPathTraversalWrite } from './path';
import { detectSqlInjection } from './sql';
import { detectSsrf } from './ssrf';

/**
 * Operation → injection detector. A sink with no detector here is still
 * subject to policy; it just has no taint check.
 */
const registry: { [N in OperationName]?: Detector<N> } = {
  'process.spawn': detectCommandInjection,
  'code.eval': detectCodeInjection,
  'fs.read': detectPathTraversal,
  'fs.write': detectPathTraversalWrite,
  'sql.query': detectSqlInjection,
  'net.connect': detectSsrf,
};

export function detectorFor<N extends OperationName>(name: N): Detector<N> | undefined {
  return pick(name) as Detector<N> | undefined;
}

// Each case reads the registry with a constant key: `registry[name]` would be one keyed load
// seeing every name, which V8 makes megamorphic (a stub-cache probe on every judged call).
function pick(name: OperationName): (typeof registry)[OperationName] {
  switch (name) {
    case 'process.spawn':
      return registry['process.spawn'];
    case 'code.eval':
      return registry['code.eval'];
    case 'fs.read':
      return registry['fs.read'];
    case 'fs.write':
      return registry['fs.write'];
    case 'sql.query':
      return registry['sql.query'];
    case 'net.connect':
      return registry['net.connect'];
    default:
      return undefined;
  }
}
