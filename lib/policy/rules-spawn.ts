import * as path from 'node:path';
import picomatch from 'picomatch';
import type { PathSeg } from './positions';
import { allowVerdict, type CompileCtx, type CompiledRule, type RuleHeader } from './rule';
import { anyMatcher, compileArgPattern, matchArgs, stringMatcher, type ArgPattern } from './wildcard';

/** One program run: a direct spawn, the shell itself, or one command inside a shell command line. */
export interface SpawnSubject {
  file: string;
  args: readonly string[];
  /** True for the shell invocation itself and for commands inside a shell command line. */
  shell: boolean;
  envKeys: readonly string[];
  cwd: string;
  /**
   * Inside a shell command: which args are decided at run time ($VAR, globs, substitutions). Such an
   * argument may become any text or several words, so only a "..." pattern can accept it.
   */
  dynamicArgs?: readonly boolean[];
}

/**
 * Directories from which a program named by a bare rule (`file: git`) may
 * come: the PATH at policy load, the usual system bin directories, and node's own.
 * A `git` elsewhere (say /tmp/x/git) needs a rule naming its path.
 */
function trustedBinDirs(): Set<string> {
  const dirs = new Set<string>(['/bin', '/usr/bin', '/usr/local/bin', '/sbin', '/usr/sbin', '/opt/homebrew/bin', path.dirname(process.execPath)]);
  for (const d of (process.env.PATH ?? '').split(path.delimiter)) if (path.isAbsolute(d)) dirs.add(path.normalize(d));
  return dirs;
}
let binDirs: Set<string> | undefined;

export function compileFileMatcher(file: string): { test: (file: string, cwd: string) => boolean; label: string } {
  if (!file.includes('/')) {
    const name = stringMatcher(file);
    binDirs ??= trustedBinDirs();
    const dirs = binDirs;
    return {
      label: file,
      test(f) {
        if (!f.includes('/')) return name(f);
        return name(path.basename(f)) && dirs.has(path.dirname(f));
      },
    };
  }
  const m = picomatch(file, { dot: true });
  return { label: file, test: (f, cwd) => m(path.resolve(cwd, f)) };
}

export interface SpawnRuleExtra {
  /** Dangerous env names an allow rule explicitly grants. */
  envGrant?: (key: string) => boolean;
}

export function compileSpawnRule(
  raw: unknown,
  h: RuleHeader,
  ctx: CompileCtx,
  at: readonly PathSeg[],
): (CompiledRule<SpawnSubject> & SpawnRuleExtra) | undefined {
  let obj: { file?: string; args?: string[]; env?: string[]; shell?: boolean; cwd?: string };
  if (typeof raw === 'string') {
    // "git" = git with any arguments; "git status ..." = program then argument patterns.
    const words = raw.trim().split(/\s+/);
    obj = words.length > 1 ? { file: words[0]!, args: words.slice(1) } : { file: words[0]! };
  } else obj = raw as typeof obj;
  let ok = true;
  const fileS = obj.file !== undefined ? ctx.expand(obj.file, typeof raw === 'string' ? at : [...at, 'file']) : undefined;
  if (obj.file !== undefined && fileS === undefined) ok = false;
  const fileM = fileS !== undefined ? compileFileMatcher(fileS) : undefined;
  let argPats: ArgPattern[] | undefined;
  const argsS: string[] = [];
  if (obj.args !== undefined) {
    argPats = [];
    obj.args.forEach((a, i) => {
      const p = typeof raw === 'string' ? at : [...at, 'args', i];
      const s = ctx.expand(a, p);
      if (s === undefined) return void (ok = false);
      const c = compileArgPattern(s);
      if ('error' in c) {
        ctx.problem(p, c.error);
        ok = false;
        return;
      }
      argsS.push(s);
      argPats!.push(c);
    });
  }
  const envS = obj.env ?? [];
  const envM = envS.length > 0 ? anyMatcher(envS) : undefined;
  const cwdS = obj.cwd !== undefined ? ctx.expand(obj.cwd, [...at, 'cwd']) : undefined;
  const cwdM = cwdS !== undefined ? picomatch(cwdS, { dot: true }) : undefined;
  if (!ok) return undefined;
  const deny = h.effect === 'deny';
  const shell = obj.shell;

  const parts: string[] = [];
  if (fileS !== undefined) parts.push(`file ${fileS}`);
  if (argPats !== undefined) parts.push(`args [${argsS.join(' ')}]`);
  if (envS.length > 0) parts.push(`env ${envS.join(',')}`);
  if (shell !== undefined) parts.push(`shell ${shell}`);
  if (cwdS !== undefined) parts.push(`cwd ${cwdS}`);
  const label = parts.length > 0 ? parts.join(', ') : 'any program';

  const envHit = (s: SpawnSubject): string | undefined => {
    if (envM === undefined) return undefined;
    for (const k of s.envKeys) if (envM(k)) return k;
    return undefined;
  };

  const test = (s: SpawnSubject): boolean => {
    if (fileM !== undefined && !fileM.test(s.file, s.cwd)) return false;
    if (argPats !== undefined && !matchArgs(argPats, s.args, s.dynamicArgs)) return false;
    if (cwdM !== undefined && !cwdM(s.cwd)) return false;
    if (shell !== undefined && shell !== s.shell) return false;
    // In a deny rule, env is a trigger; in an allow rule it is a grant (see envGrant), not a condition.
    if (deny && envM !== undefined && envHit(s) === undefined) return false;
    return true;
  };

  return {
    ...h,
    label,
    spec: {
      ...(fileS !== undefined ? { file: fileS } : {}),
      ...(argPats !== undefined ? { args: argsS } : {}),
      ...(envS.length > 0 ? { env: envS } : {}),
      ...(shell !== undefined ? { shell } : {}),
      ...(cwdS !== undefined ? { cwd: cwdS } : {}),
    },
    test,
    why(s) {
      const what = `${s.file}${s.args.length ? ' ' + JSON.stringify(s.args) : ''}`;
      if (fileM !== undefined && !fileM.test(s.file, s.cwd)) {
        return !fileS!.includes('/') && s.file.includes('/') && stringMatcher(fileS!)(path.basename(s.file))
          ? `${s.file} is not in a PATH/system bin directory (rule names bare ${fileS})`
          : `program ${s.file} does not match ${fileS}`;
      }
      if (argPats !== undefined && !matchArgs(argPats, s.args, s.dynamicArgs)) {
        const dyn = s.dynamicArgs?.some(Boolean) ? ' (arguments computed at run time only match "...")' : '';
        return `${path.basename(s.file)} arguments ${JSON.stringify(s.args)} do not match [${argsS.join(' ')}]${dyn}`;
      }
      if (cwdM !== undefined && !cwdM(s.cwd)) return `cwd ${s.cwd} does not match ${cwdS}`;
      if (shell !== undefined && shell !== s.shell) return s.shell ? 'runs through a shell; rule says shell: false' : 'not run through a shell';
      if (deny && envM !== undefined) {
        const k = envHit(s);
        return k === undefined ? `sets none of env ${envS.join(',')}` : `${what} sets ${k}`;
      }
      return `${what} matches ${label}`;
    },
    verdict: allowVerdict(h, label),
    ...(!deny && envM !== undefined ? { envGrant: envM } : {}),
  };
}

/** Environment names that change how a child loads code; denied by default when spawns are restricted. */
export const DANGEROUS_ENV = ['LD_*', 'DYLD_*', 'NODE_OPTIONS'] as const;
export const isDangerousEnv = anyMatcher(DANGEROUS_ENV);

/** Programs that run code given on their command line. */
export const INTERPRETERS: Record<string, readonly string[]> = {
  sh: ['-c'], bash: ['-c'], zsh: ['-c'], dash: ['-c'], ksh: ['-c'], fish: ['-c'], csh: ['-c'], tcsh: ['-c'],
  node: ['-e', '--eval', '-p', '--print'], nodejs: ['-e', '--eval', '-p', '--print'], deno: ['eval'], bun: ['-e', '--eval'],
  python: ['-c'], python2: ['-c'], python3: ['-c'], perl: ['-e', '-E'], ruby: ['-e'], php: ['-r'], lua: ['-e'],
  pwsh: ['-c', '-Command'], powershell: ['-c', '-Command'], 'cmd.exe': ['/c'], cmd: ['/c'], osascript: ['-e'], awk: ['*'], env: ['*'],
  xargs: ['*'], find: ['-exec', '-execdir'],
};
