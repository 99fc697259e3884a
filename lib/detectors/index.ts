import type { AttackKind, Detector, OperationName } from '../types';
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
  return registry[name] as Detector<N> | undefined;
}

/** The one attack kind each operation's detector reports: its `injection.<kind>` switch turns the detector off. */
const kinds: Record<OperationName, AttackKind> = {
  'process.spawn': 'command_injection',
  'code.eval': 'code_injection',
  'fs.read': 'path_traversal',
  'fs.write': 'path_traversal',
  'sql.query': 'sql_injection',
  'net.connect': 'ssrf',
};

export function attackKindOf(name: OperationName): AttackKind {
  return kinds[name];
}
