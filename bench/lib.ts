import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

/** Shared helpers for the benchmark suite: starting apps, medians, markdown. */
export const ROOT = path.resolve(__dirname, '..', '..');

export interface BenchResult {
  name: string;
  rows: Array<Record<string, string | number>>;
  notes?: string[];
}

export interface Configuration {
  name: string;
  /** Preload Palisade? */
  register: boolean;
  env: Record<string, string>;
}

export const BASE_CONFIGS: Configuration[] = [
  { name: 'bare', register: false, env: {} },
  { name: 'monitor', register: true, env: { PALISADE_MODE: 'monitor' } },
  { name: 'block', register: true, env: { PALISADE_MODE: 'block' } },
];

export interface StartedApp {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startBenchApp(script: string, config: Configuration, extraEnv: Record<string, string> = {}): Promise<StartedApp> {
  const args = [...(config.register ? ['--require', 'palisade/register'] : []), script];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', PALISADE_LOG: path.join(os.tmpdir(), `palisade-bench-${process.pid}.log`), ...config.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (c) => reject(new Error(`${script} exited ${c}`)));
  });
  child.stdout!.resume();
  return {
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

export function markdownTable(rows: Array<Record<string, string | number>>): string {
  if (rows.length === 0) return '(no rows)\n';
  const cols = Object.keys(rows[0]!);
  const line = (cells: Array<string | number>): string => `| ${cells.join(' | ')} |`;
  return [line(cols), line(cols.map(() => '---')), ...rows.map((r) => line(cols.map((c) => r[c] ?? '')))].join('\n') + '\n';
}

export function machine(): string {
  return `${os.cpus().length} CPU (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${os.platform()} ${os.arch()}, ${new Date().toISOString()}`;
}

/** Time `fn` over `iterations` calls, `rounds` times; median ns per call. */
export function nsPerCall(fn: () => void, iterations: number, rounds = 7): number {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t0) / iterations);
  }
  return median(samples);
}
