import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TaintInput } from '../lib/types';
import { charsOf } from '../lib/taint/decode';

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
  /** Other preloads (node --require), e.g. the ALS floor. */
  preload?: string[];
}

/**
 * The four configurations of the macro suite. The strict preset denies what
 * an app has not declared, so the bench uses a copy of policies/strict.yaml
 * that grants the bench apps' needs (see bench/policies/strict-bench.yaml).
 */
export const BARE: Configuration = { name: 'bare', register: false, env: {} };
/** Not Palisade: each request in an AsyncLocalStorage scope and nothing else (bench/apps/als-floor.js). */
export const ALS_FLOOR: Configuration = { name: 'ALS only (floor)', register: false, env: {}, preload: [path.join(ROOT, 'bench', 'apps', 'als-floor.js')] };
export const MONITOR: Configuration = { name: 'monitor', register: true, env: { PALISADE_MODE: 'monitor', PALISADE_POLICY: '' } };
export const BLOCK_DEFAULT: Configuration = { name: 'block + default', register: true, env: { PALISADE_MODE: 'block', PALISADE_POLICY: path.join(ROOT, 'policies', 'default.yaml') } };
export const BLOCK_STRICT: Configuration = { name: 'block + strict', register: true, env: { PALISADE_MODE: 'block', PALISADE_POLICY: path.join(ROOT, 'bench', 'policies', 'strict-bench.yaml') } };
export const BASE_CONFIGS: Configuration[] = [BARE, ALS_FLOOR, MONITOR, BLOCK_DEFAULT, BLOCK_STRICT];
/**
 * Run only when named in BENCH_CONFIGS: Palisade in block mode with every
 * detector off and no sections (bench/policies/no-detection.yaml). The hooks
 * are installed and every request opens a scope, but no sink call is judged:
 * its cost over the floor is the machinery's, and default's over it is judging.
 */
export const MACHINERY: Configuration = { name: 'block, detectors off (machinery)', register: true, env: { PALISADE_MODE: 'block', PALISADE_POLICY: path.join(ROOT, 'bench', 'policies', 'no-detection.yaml') } };
/**
 * BENCH_COMPARE_DIST=bench/.tmp/before/dist adds block + default run from that
 * copy of the build, alternating with this one in the same rounds: two builds
 * compared in one run (a copy inside the repository, with policies/ beside
 * it, as for bench/instructions.sh). Named `default@<dir>`, so it is kept
 * wherever BENCH_CONFIGS keeps `default`.
 */
function comparedBuild(): Configuration[] {
  const dist = process.env.BENCH_COMPARE_DIST;
  if (dist === undefined || dist === '') return [];
  return [{ ...BLOCK_DEFAULT, name: `block + default@${dist}`, register: false, preload: [path.resolve(ROOT, dist, 'lib', 'register.js')] }];
}
/**
 * Run only when named in BENCH_CONFIGS (`inherit`): block + strict with every package inheriting the app's allows
 * (`packages: { "*": { inherit: true } }`), so no verdict depends on the calling package and no call reads the
 * stack. Its distance to block + strict is what package attribution costs; the policy is written from
 * strict-bench.yaml at start, so the two cannot drift apart.
 */
export const STRICT_INHERIT: Configuration = {
  name: 'block + strict, packages inherit',
  register: true,
  // Written on first use (only runs that name it), removed when the runner exits.
  get env(): Record<string, string> {
    return { PALISADE_MODE: 'block', PALISADE_POLICY: strictInheritPolicy() };
  },
};

/**
 * bench/policies/strict-bench.yaml with its `packages:` section replaced by one that lets every package inherit.
 * bench/realistic-env.sh writes it with this function too (`strict-inherit`), so both benches run one policy.
 */
export function strictInheritText(): string {
  const strict = fs.readFileSync(path.join(ROOT, 'bench', 'policies', 'strict-bench.yaml'), 'utf8');
  const at = strict.search(/^packages:/m);
  if (at === -1) throw new Error('bench/policies/strict-bench.yaml has no packages: section');
  return `${strict.slice(0, at)}packages:\n  "*": { inherit: true }\n`;
}

let strictInheritFile: string | undefined;
function strictInheritPolicy(): string {
  if (strictInheritFile !== undefined) return strictInheritFile;
  const file = path.join(os.tmpdir(), `palisade-bench-strict-inherit-${process.pid}.yaml`);
  fs.writeFileSync(file, strictInheritText());
  process.once('exit', () => fs.rmSync(file, { force: true }));
  return (strictInheritFile = file);
}
/**
 * Run only when named in BENCH_CONFIGS (`judge`). Not Palisade: the floor plus a minimal judge that looks for
 * every request string in every sink call's text and does nothing else (bench/apps/judge-floor.js): what judging
 * in Palisade's shape costs when it does almost nothing, to weigh the realistic route's target against.
 */
export const JUDGE_FLOOR: Configuration = { name: 'ALS + minimal judge', register: false, env: {}, preload: [path.join(ROOT, 'bench', 'apps', 'judge-floor.js')] };
export const EXTRA_CONFIGS: Configuration[] = [MACHINERY, STRICT_INHERIT, JUDGE_FLOOR, ...comparedBuild()];

/** Where the bench apps' Palisade events go (one file per runner process; read by the runner for sanity checks). */
export const EVENT_LOG = path.join(os.tmpdir(), `palisade-bench-${process.pid}.log`);

export interface StartedApp {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Node's arguments for a bench app under `config`: Node flags, the configuration's preloads, the script. */
export function appArgs(script: string, config: Configuration, nodeArgs: string[] = []): string[] {
  const preloads = (config.preload ?? []).flatMap((p) => ['--require', p]);
  return [...nodeArgs, ...preloads, ...(config.register ? ['--require', 'palisade/register'] : []), script];
}

/** A bench app's environment under `config` (its events go to EVENT_LOG). */
export function appEnv(config: Configuration, extraEnv: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PALISADE_LOG: EVENT_LOG, ...config.env, ...extraEnv };
}

/** The configurations in the order round `round` runs them: rotated, so none always runs first or after the same one. */
export function roundOrder<T>(configs: readonly T[], round: number): T[] {
  return configs.map((_, i) => configs[(i + round) % configs.length]!);
}

export async function startBenchApp(script: string, config: Configuration, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []): Promise<StartedApp> {
  const child = spawn(process.execPath, appArgs(script, config, nodeArgs), {
    cwd: ROOT,
    env: appEnv(config, { PORT: '0', ...extraEnv }),
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

/** `node dist/bench/<file>.js`: run one suite alone and print its table. */
export function runStandalone(run: () => Promise<BenchResult>): void {
  run().then(
    (r) => {
      fs.rmSync(EVENT_LOG, { force: true }); // as bench/run.ts does: the apps' event log is this process's to remove
      process.stdout.write(`## ${r.name}\n\nMachine: ${machine()}\n\n${markdownTable(r.rows)}\n${(r.notes ?? []).join('\n')}\n`);
    },
    (err: unknown) => {
      fs.rmSync(EVENT_LOG, { force: true });
      console.error(err);
      process.exit(1);
    },
  );
}

/** One taint input as the taint layer would make it. */
export function benchInput(source: string, value: string, decoding: string[] = []): TaintInput {
  // With the character classes request extraction sets, so detectors run as they do on a request.
  return { source, value, decoding, chars: charsOf(value) };
}

/** The headers of a realistic browser API request: most of the inputs a detector sees and must reject quickly. */
export function requestHeaders(referer: string): TaintInput[] {
  return [
    benchInput('headers.host', 'app.example.com'),
    benchInput('headers.user-agent', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'),
    benchInput('headers.accept', 'application/json, text/plain, */*'),
    benchInput('headers.accept-language', 'en-GB,en;q=0.9'),
    benchInput('headers.accept-encoding', 'gzip, deflate, br'),
    benchInput('headers.content-type', 'application/json'),
    benchInput('headers.origin', 'https://app.example.com'),
    benchInput('headers.referer', referer),
    benchInput('headers.sec-fetch-mode', 'cors'),
    benchInput('headers.sec-fetch-site', 'same-origin'),
    benchInput('headers.x-request-id', '3f2b9c1e-8d7a-4b6f-9e21-0c5d7a8b9f10'),
  ];
}
