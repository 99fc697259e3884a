import type { Scope } from './context';
import type { PackageNames } from './stack';
import type { AttackKind, Mode, Operation, OperationName } from './types';

/**
 * What the agent needs from a loaded policy. lib/policy implements it; the
 * agent depends only on this seam, so policy internals can change freely.
 */
export interface PolicyDecision {
  decision: 'allow' | 'deny';
  ruleId?: string;
  /** Which scope decided: 'global', 'package:sharp', 'route:POST /upload', 'exception:EX-7'. */
  scope: string;
  mode: Mode;
  reason: string;
}

export interface PolicyEngine {
  /** Source file, for the startup line. */
  readonly file: string;
  readonly mode: Mode;
  /** True when some rule can deny this operation (otherwise the agent skips policy work). */
  restricts(op: OperationName): boolean;
  /** True when a package-scoped rule could change the decision (only then is a stack captured). */
  needsPackage(op: OperationName): boolean;
  readonly transparentPackages?: PackageNames;
  injectionMode(kind: AttackKind): Mode;
  evaluate(op: Operation, ctx: { package?: string; scope?: Scope }): PolicyDecision | undefined;
  /** Learn mode: record an allowed operation. */
  observe?(op: Operation, pkg: string | undefined, scope: Scope | undefined): void;
}
