import type { Mode, SpawnResource } from '../types';
import { shellParser, type ShellCommand, type ShellParse } from './bridges';
import { allowPhase, decide, denyPhase, ENV_RULE_ID, lifting, packageInherits, packagesFor, routesFor } from './phases';
import type { Policy } from './policy';
import { fsSubjectOfPath } from './rules-fs';
import { isDangerousEnv, type SpawnSubject } from './rules-spawn';
import type { Scope, Section } from './scope';
import type { EvalContext, ExplainStep, PolicyVerdict } from './types';

/**
 * process.spawn: a direct spawn is one program; a shell command line is parsed
 * and every program in it, every redirection and the environment are checked.
 */

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

export function decideSpawn(policy: Policy, res: SpawnResource, ctx: EvalContext, trace: ExplainStep[] | undefined): PolicyVerdict {
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
