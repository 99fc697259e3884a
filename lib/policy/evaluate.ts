import type { Mode, Operation, OperationName, SpawnResource } from '../types';
import { shellParser, type ShellCommand, type ShellParse } from './bridges';
import type { Policy } from './policy';
import { evalSubject } from './rules-eval';
import { fsSubject, fsSubjectOfPath, type FsSubject } from './rules-fs';
import { netSubject, type NetSubject } from './rules-net';
import { isDangerousEnv, type SpawnSubject } from './rules-spawn';
import { sqlSubject, type SqlSubject } from './rules-sql';
import type { AnyRule, CompiledException, Scope, Section, Subject } from './scope';
import type { EvalContext, ExplainStep, PolicyVerdict } from './types';

const EMPTY: readonly Scope[] = [];
const NO_CTX: EvalContext = {};
export const ENV_RULE_ID = 'builtin.process.spawn.env';
export const SELF_READ_RULE_ID = 'builtin.package-self-read';

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

function describe(op: OperationName, s: Subject): string {
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

function routesFor(policy: Policy, ctx: EvalContext): readonly Scope[] {
  if (policy.routes.length === 0 || (ctx.route === undefined && ctx.path === undefined)) return EMPTY;
  return policy.routes.filter((s) => s.route!.test(ctx));
}

function packagesFor(policy: Policy, ctx: EvalContext): readonly Scope[] {
  if (ctx.package === undefined || policy.packages.length === 0) return EMPTY;
  return policy.packageScopes(ctx.package);
}

function active(e: CompiledException): boolean {
  return Date.now() <= e.expiresAt;
}

function exceptionApplies(e: CompiledException, s: Subject, ctx: EvalContext): boolean {
  if (e.matchPackage !== undefined && !e.matchPackage(ctx.package)) return false;
  if (e.route !== undefined && !e.route.test(ctx)) return false;
  return e.match === undefined || e.match.test(s);
}

function lifting(policy: Policy, ruleId: string, op: OperationName, s: Subject, ctx: EvalContext): CompiledException | undefined {
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
function denyPhase(
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

function packageInherits(ctx: EvalContext, pkgs: readonly Scope[]): boolean {
  if (ctx.package === undefined) return true;
  for (const s of pkgs) if (s.inherit !== undefined) return s.inherit;
  return false;
}

/** An allow in scope, else the section default. Returns policy.unrestricted[op] when nothing is declared. */
function allowPhase(
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
        why: `${prefix}not applicable: package ${pkg} does not inherit the app's allows` });
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

  if (pkg !== undefined && op === 'fs.read' && declared) {
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
      reason: `${prefix}${what} is not in ${pkgSection.id} (package ${pkg})` };
  } else if (!inherits) {
    const explicit = pkgs.find((p) => p.modeExplicit);
    v = { decision: 'deny', ruleId: appSection!.id, scope: `package:${pkg}`, mode: explicit?.mode ?? appSection!.mode,
      reason: `${prefix}package ${pkg} has no ${op} grant for ${what} (packages do not inherit the app's allows; grant it under packages.${pkg}.allow or set inherit: true)` };
  } else {
    v = { decision: 'deny', ruleId: appSection!.id, scope: appSection!.scope, mode: appSection!.mode,
      reason: `${prefix}${what} is not in any ${op} allow list in scope (${appSection!.id})` };
  }
  trace?.push({ ruleId: v.ruleId!, scope: v.scope, effect: 'default', matched: true, why: v.reason, at: (pkgSection ?? appSection)!.at });
  return v;
}

/** deny phase, then allow phase, for one operation subject. */
function decide(policy: Policy, op: OperationName, s: Subject, ctx: EvalContext, trace: ExplainStep[] | undefined, prefix: string): PolicyVerdict {
  if (!policy.restricts(op)) return policy.unrestricted[op];
  const routes = routesFor(policy, ctx);
  const pkgs = packagesFor(policy, ctx);
  const denied = denyPhase(policy, op, s, ctx, routes, pkgs, trace, prefix);
  if (denied && !trace) return denied;
  const allowed = allowPhase(policy, op, s, ctx, routes, pkgs, trace, prefix);
  return denied ?? allowed;
}

// ---- process.spawn ----------------------------------------------------------

/** Harmless shell builtins that need no rule inside a shell command (redirections are still checked). */
const SHELL_BUILTINS = new Set(['cd', 'echo', 'printf', 'true', 'false', 'test', '[', ':', 'pwd', 'exit', 'wait']);
const SAFE_TARGETS = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/stdin', '/dev/tty']);

function modeFor(policy: Policy, routes: readonly Scope[], pkgs: readonly Scope[]): Mode {
  for (const sc of pkgs) { const sec = sc.allow['process.spawn'] ?? sc.deny['process.spawn']; if (sec) return sec.mode; }
  for (let i = routes.length - 1; i >= 0; i--) { const sec = routes[i]!.allow['process.spawn'] ?? routes[i]!.deny['process.spawn']; if (sec) return sec.mode; }
  const g = policy.global.allow['process.spawn'] ?? policy.global.deny['process.spawn'];
  return g?.mode ?? policy.mode;
}

/** Variables the call adds; those the process already has are its own environment passed along. */
function addedEnvKeys(keys: readonly string[] | undefined): readonly string[] {
  if (keys === undefined || keys.length === 0) return [];
  return keys.filter((k) => !Object.prototype.hasOwnProperty.call(process.env, k));
}

function envRule(
  policy: Policy, s: SpawnSubject, ctx: EvalContext, routes: readonly Scope[], pkgs: readonly Scope[],
  trace: ExplainStep[] | undefined, prefix: string,
): PolicyVerdict | undefined {
  if (!policy.spawnEnvRule) return undefined;
  for (const key of s.envKeys) {
    if (!isDangerousEnv(key)) continue;
    const grant = findEnvGrant(policy, s, key, ctx, routes, pkgs);
    if (grant !== undefined) {
      trace?.push({ ruleId: ENV_RULE_ID, scope: 'builtin', effect: 'deny', matched: false, why: `${prefix}${key} is granted by ${grant}` });
      continue;
    }
    const ex = lifting(policy, ENV_RULE_ID, 'process.spawn', s, ctx);
    if (ex !== undefined) {
      trace?.push({ ruleId: ENV_RULE_ID, scope: 'builtin', effect: 'deny', matched: true, why: `${prefix}sets ${key} — lifted by exception ${ex.id}` });
      continue;
    }
    const v: PolicyVerdict = { decision: 'deny', ruleId: ENV_RULE_ID, scope: 'builtin', mode: modeFor(policy, routes, pkgs),
      reason: `${prefix}${s.file} is given ${key}, which changes what code the child loads (list it in the program's allow rule env: to permit)` };
    trace?.push({ ruleId: ENV_RULE_ID, scope: 'builtin', effect: 'deny', matched: true, why: v.reason });
    return v;
  }
  if (trace && s.envKeys.length === 0) trace.push({ ruleId: ENV_RULE_ID, scope: 'builtin', effect: 'deny', matched: false, why: `${prefix}sets no LD_*, DYLD_* or NODE_OPTIONS` });
  return undefined;
}

function findEnvGrant(policy: Policy, s: SpawnSubject, key: string, ctx: EvalContext, routes: readonly Scope[], pkgs: readonly Scope[]): string | undefined {
  const scan = (sec: Section | undefined): string | undefined => {
    for (const r of sec?.rules ?? []) if (r.envGrant !== undefined && r.envGrant(key) && r.test(s)) return r.id;
    return undefined;
  };
  const inherits = packageInherits(ctx, pkgs);
  if (inherits) {
    const g = scan(policy.global.allow['process.spawn']);
    if (g) return g;
    for (const sc of routes) { const r = scan(sc.allow['process.spawn']); if (r) return r; }
  }
  for (const sc of pkgs) { const r = scan(sc.allow['process.spawn']); if (r) return r; }
  return undefined;
}

function decideSpawn(policy: Policy, res: SpawnResource, ctx: EvalContext, trace: ExplainStep[] | undefined): PolicyVerdict {
  const cwd = res.cwd ?? process.cwd();
  const envKeys = addedEnvKeys(res.envKeys);
  const routes = routesFor(policy, ctx);
  const pkgs = packagesFor(policy, ctx);
  const spawnRules = policy.restrictsSpawnItself();
  if (!res.shell) {
    if (!spawnRules) return policy.unrestricted['process.spawn'];
    const s: SpawnSubject = { file: res.file, args: res.args, shell: false, envKeys, cwd };
    return program(policy, s, ctx, routes, pkgs, trace, '') ?? allowPhase(policy, 'process.spawn', s, ctx, routes, pkgs, trace, '');
  }
  return decideShell(policy, res, cwd, envKeys, ctx, routes, pkgs, trace);
}

/** Deny rules and the env rule for one program; undefined when neither denies. */
function program(
  policy: Policy, s: SpawnSubject, ctx: EvalContext, routes: readonly Scope[], pkgs: readonly Scope[],
  trace: ExplainStep[] | undefined, prefix: string,
): PolicyVerdict | undefined {
  const d = denyPhase(policy, 'process.spawn', s, ctx, routes, pkgs, trace, prefix);
  if (d && !trace) return d;
  const e = envRule(policy, s, ctx, routes, pkgs, trace, prefix);
  return d ?? e;
}

function spawnAllowDeclared(policy: Policy, routes: readonly Scope[], pkgs: readonly Scope[]): boolean {
  if (policy.global.allow['process.spawn']) return true;
  for (const sc of routes) if (sc.allow['process.spawn']) return true;
  for (const sc of pkgs) if (sc.allow['process.spawn']) return true;
  return false;
}

function commandOf(res: SpawnResource): string | undefined {
  if (res.command !== undefined) return res.command;
  const i = res.args.findIndex((a) => a === '-c' || a.toLowerCase() === '/c');
  return i !== -1 ? res.args[i + 1] : undefined;
}

function envNames(assignments: readonly string[]): string[] {
  return assignments.map((a) => (a.includes('=') ? a.slice(0, a.indexOf('=')) : a));
}

type RedirectKind = 'fs.read' | 'fs.write' | undefined;
function redirectKind(op: string, target: string): RedirectKind {
  if (op.includes('<<')) return undefined; // heredoc / herestring: the target is text, not a file
  if (op.endsWith('&') && /^(\d+|-)$/.test(target)) return undefined; // fd duplication
  if (op.includes('>')) return 'fs.write';
  if (op.includes('<')) return 'fs.read';
  return undefined;
}

function subjectOf(c: ShellCommand, cwd: string): SpawnSubject {
  const s: SpawnSubject = { file: c.argv[0]!, args: c.argv.slice(1), shell: true, envKeys: envNames(c.assignments), cwd };
  if (c.dynamic !== undefined && c.dynamic.some((d, i) => d && i > 0)) s.dynamicArgs = c.dynamic.slice(1);
  return s;
}

function tagOf(c: ShellCommand): string {
  return `in shell command [${c.argv.join(' ')}]: `;
}

function decideShell(
  policy: Policy, res: SpawnResource, cwd: string, envKeys: readonly string[], ctx: EvalContext,
  routes: readonly Scope[], pkgs: readonly Scope[], trace: ExplainStep[] | undefined,
): PolicyVerdict {
  const spawnRules = policy.restrictsSpawnItself();
  let first: PolicyVerdict | undefined;
  const deny = (v: PolicyVerdict | undefined): boolean => {
    if (v === undefined || v.decision !== 'deny') return false;
    first ??= v;
    return trace === undefined;
  };
  const mode = modeFor(policy, routes, pkgs);
  const fail = (reason: string, ruleId: string): PolicyVerdict => {
    const v: PolicyVerdict = { decision: 'deny', ruleId, scope: 'builtin', mode, reason };
    trace?.push({ ruleId, scope: 'builtin', effect: 'deny', matched: true, why: reason });
    return v;
  };

  const top: SpawnSubject = { file: res.file, args: res.args, shell: true, envKeys, cwd };
  if (spawnRules && deny(program(policy, top, ctx, routes, pkgs, trace, `[shell ${res.file}] `))) return first!;

  const command = commandOf(res);
  const parse = shellParser();
  if (command === undefined || parse === null) {
    const why = parse === null ? 'the shell parser is not available' : 'the shell command line was not found';
    return first ?? fail(`cannot check a shell command: ${why}`, 'builtin.shell.parse');
  }
  let g: ShellParse;
  try {
    g = parse(command);
  } catch (e) {
    return first ?? fail(`cannot parse the shell command: ${(e as Error).message}`, 'builtin.shell.parse');
  }

  // Deny rules see every program, including those inside substitutions (the parser lists them too).
  if (spawnRules) {
    for (const c of g.commands) {
      if (c.argv.length === 0) continue;
      if (deny(program(policy, subjectOf(c, cwd), ctx, routes, pkgs, trace, tagOf(c)))) return first!;
    }
  }

  // Redirections: the shell, not Node, opens these files, so fs rules are applied here.
  let cwdMoves = false;
  for (const c of g.commands) {
    if (c.argv[0] === 'cd' || c.argv[0] === 'pushd' || c.argv[0] === 'popd') cwdMoves = true;
    for (const r of c.redirects) {
      const kind = redirectKind(r.op, r.target);
      if (kind === undefined || SAFE_TARGETS.has(r.target) || /^\/dev\/fd\/\d+$/.test(r.target)) continue;
      if (!policy.restricts(kind)) continue;
      const tag = `redirect ${r.op} ${r.target}: `;
      if (r.dynamic === true || /[$`*?~]/.test(r.target) || (cwdMoves && !r.target.startsWith('/'))) {
        if (deny(fail(`${tag}redirection target is not a fixed path, so ${kind} rules cannot be checked`, `builtin.shell.redirect`))) return first!;
        continue;
      }
      if (deny(decide(policy, kind, fsSubjectOfPath(r.target, cwd), ctx, trace, tag))) return first!;
    }
  }

  if (spawnRules && g.incomplete && deny(fail('the shell command could not be parsed completely', 'builtin.shell.parse'))) return first!;

  // Allow lists: every program must be allowed; a substitution hides which program runs.
  const allowed: string[] = [];
  let firstRule: string | undefined;
  const restrictedHere = spawnRules && spawnAllowDeclared(policy, routes, pkgs);
  if (restrictedHere) {
    for (const c of g.commands) {
      if (c.argv.length === 0) continue;
      const file = c.argv[0]!;
      const tag = tagOf(c);
      if (SHELL_BUILTINS.has(file)) {
        trace?.push({ ruleId: 'builtin.shell.builtins', scope: 'builtin', effect: 'allow', matched: true, why: `${tag}${file} is a harmless shell builtin` });
        allowed.push(file);
        continue;
      }
      if (c.dynamic?.[0] === true || /[$`]/.test(file)) {
        if (deny(fail(`${tag}the program name is computed at run time (${file})`, 'builtin.shell.program'))) return first!;
        continue;
      }
      const v = allowPhase(policy, 'process.spawn', subjectOf(c, cwd), ctx, routes, pkgs, trace, tag);
      if (deny(v)) return first!;
      if (v.decision === 'allow') {
        firstRule ??= v.ruleId;
        allowed.push(`${file}${v.ruleId ? ` by ${v.ruleId}` : ''}`);
      }
    }
    if (g.substitutions.length > 0 && deny(fail('command substitution ($(...) or backticks) hides which program runs', 'builtin.shell.substitution'))) return first!;
  }
  if (first) return first;
  if (!restrictedHere) return policy.unrestricted['process.spawn'];
  return { decision: 'allow', ...(firstRule ? { ruleId: firstRule } : {}), scope: 'global', mode, reason: `every program in the shell command is allowed: ${allowed.join('; ')}` };
}
