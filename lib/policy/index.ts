/**
 * Declared-behaviour policies: load, evaluate, explain, lint.
 *
 * Agent usage per sink call (lib/agent.ts, through lib/policy-loader.ts):
 *   if (!policy.restricts(op.name)) → skip policy entirely
 *   const pkg = policy.needsPackage(op.name) ? callerPackage(transparent) : undefined   (lib/stack.ts)
 *   const v = evaluate(policy, op, { package: pkg, method, path, route })
 *   v.decision === 'deny' → act on v.mode (already clamped by PALISADE_MODE)
 */
export { evaluate } from './evaluate';
export { compilePolicy, findPolicyFile, loadPolicyFile, loadPolicyText, POLICY_FILE_NAMES } from './load';
export { effectiveMode, parseMode } from './mode';
export { Policy } from './policy';
export { PolicyError, formatProblem, type PolicyProblem } from './errors';
export { lintPolicy, type LintProblem, type Severity } from './lint';
export { schemaPath, schemaSource } from './schema';
export type { EvalContext, ExplainStep, PolicyVerdict, SourcePos } from './types';
