import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Start a real app under `node --require palisade/register` (plus the egress
 * guard), the way an operator would, and read the events it logs.
 */
export const ROOT = path.resolve(__dirname, '..', '..');
export const GUARD = path.join(ROOT, 'test', 'helpers', 'egress-guard.js');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export interface RunningApp {
  port: number;
  child: ChildProcess;
  logFile: string;
  stdout(): string;
  stderr(): string;
  events(): Array<Record<string, any>>;
  stop(): Promise<void>;
}

const madeDirs: string[] = [];

/**
 * A fresh directory under the system temp dir, removed when this test
 * process exits, so suite runs do not pile up in /tmp on a CI machine.
 * PALISADE_TEST_KEEP_TMP=1 keeps them, to look at an app's files and event
 * log after a failure.
 */
export function tmpDir(prefix = 'palisade-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (process.env.PALISADE_TEST_KEEP_TMP !== '1') {
    if (madeDirs.length === 0) process.on('exit', removeMadeDirs);
    madeDirs.push(dir);
  }
  return dir;
}

function removeMadeDirs(): void {
  for (const d of madeDirs) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      /* a policy under test may forbid it, or a child still holds it: leave it */
    }
  }
}

export async function startApp(
  script: string,
  env: Record<string, string> = {},
  opts: { register?: boolean; args?: string[]; cwd?: string; nodeArgs?: string[] } = {},
): Promise<RunningApp> {
  const dir = tmpDir('palisade-app-');
  const logFile = env.PALISADE_LOG ?? path.join(dir, 'events.log');
  const nodeArgs = ['--require', GUARD, ...(opts.register === false ? [] : ['--require', 'palisade/register']), ...(opts.nodeArgs ?? [])];
  const child = spawn(process.execPath, [...nodeArgs, path.resolve(FIXTURES, script), ...(opts.args ?? [])], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, PALISADE_LOG: logFile, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app ${script} did not start:\n${out}\n${err}`)), 20_000);
    const onData = (): void => {
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app ${script} exited with ${code}:\n${out}\n${err}`));
    });
  });
  return {
    port,
    child,
    logFile,
    stdout: () => out,
    stderr: () => err,
    events: () => readEvents(logFile),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Palisade event lines (not the startup line) from a log file. */
export function readEvents(file: string): Array<Record<string, any>> {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((e) => e.schema === 'palisade.event/1');
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function request(
  port: number,
  pathAndQuery: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: pathAndQuery, method: opts.method ?? 'GET', headers: opts.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Wait until `predicate` holds (events are written synchronously, but the request may still be finishing). */
export async function waitFor<T>(fn: () => T | undefined, ms = 3000): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) return undefined;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const q = encodeURIComponent;
