import type * as CP from 'node:child_process';
import { promisify } from 'node:util';
import { check, unwrap, wrap, type HookDefinition } from '../lib/hooking';
import { callbackLater, emitErrorLater, endedReadable, sinkWritable } from '../lib/enforce';
import type { PalisadeBlockedError } from '../lib/errors';
import type { SpawnOperation } from '../lib/types';

/**
 * child_process → process.spawn. exec() is implemented by Node on top of
 * module.exports.execFile, so a flag keeps one exec call from being judged
 * twice; the other functions reach spawn through Node-internal references
 * and are judged exactly once at their own entry.
 */

type Opts = { shell?: boolean | string; cwd?: string | URL; env?: Record<string, string | undefined> } | undefined;
type Cb = (err: Error | null, stdout?: unknown, stderr?: unknown) => void;

const FUNCTIONS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
let inExec = 0;

function defaultShell(): string {
  return process.platform === 'win32' ? process.env.ComSpec ?? 'cmd.exe' : '/bin/sh';
}

function shellOf(o: Opts): string | undefined {
  if (o === undefined || o === null || !o.shell) return undefined;
  return typeof o.shell === 'string' ? o.shell : defaultShell();
}

function strArgs(a: unknown): string[] {
  return Array.isArray(a) ? a.map((x) => String(x)) : [];
}

function op(fn: string, file: string, args: string[], o: Opts, shellCommand?: string): SpawnOperation {
  const shell = shellCommand !== undefined ? (shellOf(o) ?? defaultShell()) : shellOf(o);
  const command = shellCommand ?? (shell !== undefined ? [file, ...args].join(' ') : undefined);
  const resource: SpawnOperation['resource'] =
    command !== undefined
      ? { file: shell ?? defaultShell(), args: ['-c', command], shell: true, command }
      : { file, args, shell: false };
  if (o?.cwd !== undefined) resource.cwd = String(o.cwd);
  if (o?.env !== undefined && o.env !== null) resource.envKeys = Object.keys(o.env);
  return { name: 'process.spawn', module: 'child_process', fn, resource };
}

/** (file, args?, options?) with args optional, as spawn/execFile/fork accept. */
function splitArgs(rest: unknown[]): { args: string[]; opts: Opts } {
  if (Array.isArray(rest[0])) return { args: strArgs(rest[0]), opts: (rest[1] as Opts) ?? undefined };
  if (rest[0] !== null && typeof rest[0] === 'object') return { args: [], opts: rest[0] as Opts };
  return { args: [], opts: undefined };
}

/** (file, args?, options?) → operation, for the functions that take a program and an argv. */
function argvCall(fn: string) {
  return (a: unknown[]): SpawnOperation => {
    const { args, opts } = splitArgs(a.slice(1));
    return op(fn, String(a[0]), args, opts);
  };
}

/** (command, options?) → operation, for the functions that always run a shell. */
function shellCall(fn: string) {
  return (a: unknown[]): SpawnOperation =>
    op(fn, '', [], typeof a[1] === 'object' && a[1] !== null ? (a[1] as Opts) : undefined, String(a[0]));
}

const build = {
  spawn: argvCall('spawn'),
  spawnSync: argvCall('spawnSync'),
  execFile: argvCall('execFile'),
  execFileSync: argvCall('execFileSync'),
  fork: (a: unknown[]): SpawnOperation => {
    const { args, opts } = splitArgs(a.slice(1));
    // fork never uses a shell; the program is node running modulePath.
    return op('fork', String(a[0]), args, { ...opts, shell: false });
  },
  exec: shellCall('exec'),
  execSync: shellCall('execSync'),
};

/** A ChildProcess that never started: stdio ends at once, 'error' (if listened), then 'exit' and 'close'. */
function blockedChild(cp: typeof CP, err: PalisadeBlockedError): CP.ChildProcess {
  const child = new cp.ChildProcess();
  const c = child as unknown as Record<string, unknown>;
  const stdin = sinkWritable();
  const stdout = endedReadable();
  const stderr = endedReadable();
  c.stdin = stdin;
  c.stdout = stdout;
  c.stderr = stderr;
  c.stdio = [stdin, stdout, stderr];
  emitErrorLater(child, err, [['exit', 1, null], ['close', 1, null]]);
  return child;
}

function lastCallback(args: unknown[]): Cb | undefined {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as Cb) : undefined;
}

/** Keep `util.promisify(exec)` resolving to { stdout, stderr } as Node's own does. */
function withPromisify(wrapped: (...a: unknown[]) => unknown): void {
  Object.defineProperty(wrapped, promisify.custom, {
    configurable: true,
    enumerable: false,
    value: (...args: unknown[]) => {
      let child: unknown;
      const p = new Promise((resolve, reject) => {
        child = wrapped(...args, (err: (Error & { stdout?: unknown; stderr?: unknown }) | null, stdout: unknown, stderr: unknown) => {
          if (err !== null) {
            err.stdout = stdout;
            err.stderr = stderr;
            reject(err);
          } else resolve({ stdout, stderr });
        });
      });
      (p as Promise<unknown> & { child?: unknown }).child = child;
      return p;
    },
  });
}

export const childProcessHook: HookDefinition = {
  module: 'child_process',
  builtin: true,
  patch(exports) {
    const cp = exports as typeof CP;
    wrap(cp, 'spawn', (orig) => function spawn(this: unknown, ...args: unknown[]) {
      const err = check('process.spawn', build.spawn, args);
      return err === undefined ? orig.apply(this, args) : blockedChild(cp, err);
    });
    wrap(cp, 'fork', (orig) => function fork(this: unknown, ...args: unknown[]) {
      const err = check('process.spawn', build.fork, args);
      return err === undefined ? orig.apply(this, args) : blockedChild(cp, err);
    });
    wrap(cp, 'spawnSync', (orig) => function spawnSync(this: unknown, ...args: unknown[]) {
      const err = check('process.spawn', build.spawnSync, args);
      if (err === undefined) return orig.apply(this, args);
      // spawnSync reports failure in its result, never by throwing.
      return { pid: 0, output: [null, '', ''], stdout: '', stderr: '', status: null, signal: null, error: err };
    });
    wrap(cp, 'execSync', (orig) => function execSync(this: unknown, ...args: unknown[]) {
      const err = check('process.spawn', build.execSync, args);
      if (err !== undefined) throw err;
      return orig.apply(this, args);
    });
    wrap(cp, 'execFileSync', (orig) => function execFileSync(this: unknown, ...args: unknown[]) {
      const err = check('process.spawn', build.execFileSync, args);
      if (err !== undefined) throw err;
      return orig.apply(this, args);
    });
    wrap(cp, 'exec', (orig) => {
      const exec = function exec(this: unknown, ...args: unknown[]) {
        const err = check('process.spawn', build.exec, args);
        if (err !== undefined) {
          const cb = lastCallback(args);
          if (cb !== undefined) callbackLater(cb as (e: Error, ...r: unknown[]) => void, err, '', '');
          return blockedChild(cp, err);
        }
        inExec++;
        try {
          return orig.apply(this, args);
        } finally {
          inExec--;
        }
      };
      withPromisify(exec);
      return exec;
    });
    wrap(cp, 'execFile', (orig) => {
      const execFile = function execFile(this: unknown, ...args: unknown[]) {
        const err = inExec > 0 ? undefined : check('process.spawn', build.execFile, args);
        if (err !== undefined) {
          const cb = lastCallback(args);
          if (cb !== undefined) callbackLater(cb as (e: Error, ...r: unknown[]) => void, err, '', '');
          return blockedChild(cp, err);
        }
        return orig.apply(this, args);
      };
      withPromisify(execFile);
      return execFile;
    });
    return exports;
  },
  unpatch(exports) {
    for (const f of FUNCTIONS) unwrap(exports as object, f);
  },
};
