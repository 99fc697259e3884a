import type { Operation } from '../types';
import { decideSpawn } from './evaluate-spawn';
import { decide } from './phases';
import type { Policy } from './policy';
import { evalSubject } from './rules-eval';
import { fsSubject } from './rules-fs';
import { netSubject } from './rules-net';
import { sqlSubject } from './rules-sql';
import type { EvalContext, ExplainStep, PolicyVerdict } from './types';

const NO_CTX: EvalContext = {};
export { ENV_RULE_ID, SELF_READ_RULE_ID } from './phases';

/**
 * Decides whether the declared behaviour allows `op` for this caller.
 * Order: a matching deny wins unless an exception names it; then an allow in
 * scope (app: global + matching routes; a package: its own scopes, plus the
 * app's when it inherits); then the section default (declared allow list →
 * deny; nothing declared → allow). `explain` adds a trace of every rule considered.
 */
export function evaluate(policy: Policy, op: Operation, ctx: EvalContext = NO_CTX, explain = false): PolicyVerdict {
  const name = op.name;
  if (!policy.restricts(name)) {
    const v = policy.unrestricted[name];
    return explain ? { ...v, trace: [{ ruleId: `allow.${name}`, scope: 'global', effect: 'default', matched: true, why: v.reason }] } : v;
  }
  const trace: ExplainStep[] | undefined = explain ? [] : undefined;
  let v: PolicyVerdict;
  switch (op.name) {
    case 'fs.read':
    case 'fs.write':
      v = decide(policy, op.name, fsSubject(op.resource), ctx, trace, '');
      break;
    case 'process.spawn':
      v = decideSpawn(policy, op.resource, ctx, trace);
      break;
    case 'net.connect': {
      const s = netSubject(op.resource);
      v = decide(policy, 'net.connect', s, ctx, trace, '');
      if (s.unknownAddress) v = { ...v, needsAddress: true };
      break;
    }
    case 'sql.query':
      v = decide(policy, 'sql.query', sqlSubject(op.resource), ctx, trace, '');
      break;
    case 'code.eval':
      v = decide(policy, 'code.eval', evalSubject(op.resource), ctx, trace, '');
      break;
  }
  return trace ? { ...v, trace } : v;
}
