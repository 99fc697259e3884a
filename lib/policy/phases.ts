import type { OperationName } from '../types';
import type { Policy } from './policy';
import type { FsSubject } from './rules-fs';
import type { NetSubject } from './rules-net';
import type { SpawnSubject } from './rules-spawn';
import type { SqlSubject } from './rules-sql';
import type { AnyRule, CompiledException, Scope, Section, Subject } from './scope';
import type { EvalContext, ExplainStep, PolicyVerdict } from './types';
import { UNKNOWN_CALLER } from '../stack';

/**
 * The two phases of a decision (deny rules, then allow lists and defaults)
 * over the scopes that apply to one call.
 */

const EMPTY: readonly Scope[] = [];
export const ENV_RULE_ID = 'builtin.process.spawn.env';
export const SELF_READ_RULE_ID = 'builtin.package-self-read';

export function describe(op: OperationName, s: Subject): string {
  switch (op) {
    case 'fs.read':
    case 'fs.write': {
      const f = s as FsSubject;
      return f.real !== f.lex ? `${f.lex} (real: ${f.real})` : f.lex;
    }
    case 'process.spawn': {
      const p = s as SpawnSubject;
      return [p.file, ...p.args].join(' ');
    }
    case 'net.connect': {
      const n = s as NetSubject;
      return `${n.protocol ? n.protocol + '://' : ''}${n.host}${n.port !== undefined ? ':' + n.port : ''}${n.address && n.address !== n.host ? ` (${n.address})` : ''}`;
    }
    case 'sql.query': {
      const q = s as SqlSubject;
      return `${q.kind} statement${q.multi ? ' (multi-statement)' : ''}`;
    }
    default:
      return `code evaluation via ${(s as { via: string }).via}`;
  }
}

/** How a reason names the caller: a package, or a call no frame on the stack owns (lib/stack.ts, UNKNOWN_CALLER). */
function callerLabel(pkg: string): string {
  return pkg === UNKNOWN_CALLER ? 'a call with no app or package frame on its stack' : `package ${pkg}`;
}

export function routesFor(policy: Policy, ctx: EvalContext): readonly Scope[] {
  if (policy.routes.length === 0 || (ctx.route === undefined && ctx.path === undefined)) return EMPTY;
  return policy.routes.filter((s) => s.route!.test(ctx));
}

export function packagesFor(policy: Policy, ctx: EvalContext): readonly Scope[] {
  if (ctx.package === undefined || policy.packages.length === 0) return EMPTY;
  return policy.packageScopes(ctx.package);
}

export function active(e: CompiledException): boolean {
  return Date.now() <= e.expiresAt;
}

export function exceptionApplies(e: CompiledException, s: Subject, ctx: EvalContext): boolean {
  if (e.matchPackage !== undefined && !e.matchPackage(ctx.package)) return false;
  if (e.route !== undefined && !e.route.test(ctx)) return false;
  return e.match === undefined || e.match.test(s);
}

export function lifting(policy: Policy, ruleId: string, op: OperationName, s: Subject, ctx: EvalContext): CompiledException | undefined {
  const list = policy.liftedBy.get(ruleId);
  if (list === undefined) return undefined;
  for (const e of list) if (e.op === op && active(e) && exceptionApplies(e, s, ctx)) return e;
  return undefined;
}

function step(trace: ExplainStep[], prefix: string, r: AnyRule, matched: boolean, why: string): void {
  trace.push({ ruleId: r.id, scope: r.scope, effect: r.effect, matched, why: prefix + why, at: r.at });
}

function denyVerdict(r: AnyRule, s: Subject, prefix: string): PolicyVerdict {
  return { decision: 'deny', ruleId: r.id, scope: r.scope, mode: r.mode, reason: `${prefix}denied by ${r.id}: ${r.why(s)}` };
}

/** First matching deny rule not lifted by an exception (explain: keeps going to record every rule). */
export function denyPhase(
  policy: Policy, op: OperationName, s: Subject, ctx: EvalContext,
  routes: readonly Scope[], pkgs: readonly Scope[], trace: ExplainStep[] | undefined, prefix: string,
): PolicyVerdict | undefined {
  let first: PolicyVerdict | undefined;
  const run = (sec: Section | undefined): boolean => {
    if (sec === undefined) return false;
    for (const r of sec.rules) {
      const hit = r.test(s);
      if (!hit) {
        if (trace) step(trace, prefix, r, false, r.why(s));
        continue;
      }
      const ex = policy.liftedBy.size > 0 ? lifting(policy, r.id, op, s, ctx) : undefined;
      if (ex !== undefined) {
        if (trace) step(trace, prefix, r, true, `${r.why(s)} — lifted by exception ${ex.id}`);
        continue;
      }
      first ??= denyVerdict(r, s, prefix);
      if (!trace) return true;
      step(trace, prefix, r, true, r.why(s));
    }
    return false;
  };
  if (run(policy.global.deny[op])) return first;
  for (const sc of routes) if (run(sc.deny[op])) return first;
  for (const sc of pkgs) if (run(sc.deny[op])) return first;
  return first;
}

export function packageInherits(ctx: EvalContext, pkgs: readonly Scope[]): boolean {
  if (ctx.package === undefined) return true;
  for (const s of pkgs) if (s.inherit !== undefined) return s.inherit;
  return false;
}

/** An allow in scope, else the section default. Returns policy.unrestricted[op] when nothing is declared. */
export function allowPhase(
  policy: Policy, op: OperationName, s: Subject, ctx: EvalContext,
  routes: readonly Scope[], pkgs: readonly Scope[], trace: ExplainStep[] | undefined, prefix: string,
): PolicyVerdict {
  const pkg = ctx.package;
  const inherits = packageInherits(ctx, pkgs);
  let appSection: Section | undefined;
  let pkgSection: Section | undefined;
  let found: PolicyVerdict | undefined;

  const run = (sec: Section): boolean => {
    for (const r of sec.rules) {
      const hit = r.test(s);
      if (trace) step(trace, prefix, r, hit, r.why(s));
      if (hit) {
        found ??= r.verdict;
        if (!trace) return true;
      }
    }
    return false;
  };
  const app = (sec: Section | undefined): boolean => {
    if (sec === undefined) return false;
    appSection = sec;
    if (inherits) return run(sec);
    if (trace) {
      trace.push({ ruleId: sec.id, scope: sec.scope, effect: 'allow', matched: false, at: sec.at,
        why: `${prefix}not applicable: ${callerLabel(pkg!)} does not inherit the app's allows` });
    }
    return false;
  };

  if (app(policy.global.allow[op])) return found!;
  for (const sc of routes) if (app(sc.allow[op])) return found!;
  for (const sc of pkgs) {
    const sec = sc.allow[op];
    if (sec === undefined) continue;
    pkgSection ??= sec;
    if (run(sec)) return found!;
  }
  const declared = appSection !== undefined || pkgSection !== undefined;
  if (!declared && !trace) return policy.unrestricted[op];

  for (const e of policy.exceptionsByOp[op]) {
    if (!active(e)) {
      if (trace) trace.push({ ruleId: e.id, scope: 'exception', effect: 'exception', matched: false, at: e.at, why: `${prefix}expired on ${e.expires}` });
      continue;
    }
    const hit = exceptionApplies(e, s, ctx);
    if (trace) {
      trace.push({ ruleId: e.id, scope: 'exception', effect: 'exception', matched: hit, at: e.at,
        why: prefix + (hit ? `applies (owner ${e.owner}, expires ${e.expires})` : 'does not apply to this call') });
    }
    if (hit) {
      found ??= e.verdict;
      if (!trace) return found;
    }
  }

  if (pkg !== undefined && pkg !== UNKNOWN_CALLER && op === 'fs.read' && declared) {
    const f = s as FsSubject;
    const mine = `/node_modules/${pkg}/`;
    const hit = f.real.includes(mine);
    if (trace) {
      trace.push({ ruleId: SELF_READ_RULE_ID, scope: `package:${pkg}`, effect: 'allow', matched: hit,
        why: `${prefix}${hit ? `${f.real} is inside package ${pkg}` : `a package may always read its own files (…${mine}…); this is not one`}` });
    }
    if (hit) found ??= { decision: 'allow', ruleId: SELF_READ_RULE_ID, scope: `package:${pkg}`, mode: policy.mode, reason: `package ${pkg} reads its own file` };
  }
  if (found) return found;

  if (!declared) {
    trace?.push({ ruleId: `allow.${op}`, scope: 'global', effect: 'default', matched: true, why: `${prefix}no ${op} allow list applies: not restricted` });
    return policy.unrestricted[op];
  }
  const what = describe(op, s);
  let v: PolicyVerdict;
  if (pkgSection !== undefined) {
    v = { decision: 'deny', ruleId: pkgSection.id, scope: pkgSection.scope, mode: pkgSection.mode,
      reason: `${prefix}${what} is not in ${pkgSection.id} (${callerLabel(pkg!)})` };
  } else if (!inherits) {
    const explicit = pkgs.find((p) => p.modeExplicit);
    v = { decision: 'deny', ruleId: appSection!.id, scope: `package:${pkg}`, mode: explicit?.mode ?? appSection!.mode,
      reason: pkg === UNKNOWN_CALLER
        ? `${prefix}${what}: the call has no app or package frame on its stack (a sink function handed straight to a Node ` +
          `scheduler, as in setImmediate(fs.readFile, …)), so it gets only the grants of packages."*"; call the sink ` +
          'from a function of your own'
        : `${prefix}package ${pkg} has no ${op} grant for ${what} (packages do not inherit the app's allows; grant it under packages.${pkg}.allow or set inherit: true)` };
  } else {
    v = { decision: 'deny', ruleId: appSection!.id, scope: appSection!.scope, mode: appSection!.mode,
      reason: `${prefix}${what} is not in any ${op} allow list in scope (${appSection!.id})` };
  }
  trace?.push({ ruleId: v.ruleId!, scope: v.scope, effect: 'default', matched: true, why: v.reason, at: (pkgSection ?? appSection)!.at });
  return v;
}

/** deny phase, then allow phase, for one operation subject. */
export function decide(policy: Policy, op: OperationName, s: Subject, ctx: EvalContext, trace: ExplainStep[] | undefined, prefix: string): PolicyVerdict {
  if (!policy.restricts(op)) return policy.unrestricted[op];
  const routes = routesFor(policy, ctx);
  const pkgs = packagesFor(policy, ctx);
  const denied = denyPhase(policy, op, s, ctx, routes, pkgs, trace, prefix);
  if (denied && !trace) return denied;
  const allowed = allowPhase(policy, op, s, ctx, routes, pkgs, trace, prefix);
  return denied ?? allowed;
}
