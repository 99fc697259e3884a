import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appArgs, appEnv, BARE, BLOCK_DEFAULT, BLOCK_STRICT, fmt, median, MONITOR, ROOT, roundOrder, runStandalone, type BenchResult, type Configuration } from './lib';

/**
 * Start-up and idle footprint: what the preload costs before the first
 * request. Each round starts bench/apps/startup.js once per configuration, in
 * an order rotated from round to round, and reads how long the app took from the process's
 * start to listening, and its memory once idle (after two full GCs).
 * BENCH_STARTUP_ROUNDS sets the rounds (default 15).
 */

interface Sample {
  /** Wall time from spawn to the probe's report, as a parent sees it (includes Node's own boot). */
  wallMs: number;
  /** From the process's start to the app's first line: Node's boot and the preloads. */
  appStartMs: number;
  readyMs: number;
  rss: number;
  anon: number;
  heapUsed: number;
  heapTotal: number;
  newSpace: number;
  modules: number;
}

function probe(config: Configuration): Promise<Sample> {
  const args = appArgs(path.join(ROOT, 'bench', 'apps', 'startup.js'), config, ['--expose-gc']);
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: appEnv(config), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    let sample: Sample | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^STARTUP (.*)\n/m.exec(out);
      if (m === null || sample !== undefined) return;
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      // Anonymous pages are the process's own; the rest of RSS is mapped from files (the node binary's code), shared.
      // Linux only: elsewhere the column reads n/a.
      let rollup = '';
      try {
        rollup = fs.readFileSync(`/proc/${child.pid}/smaps_rollup`, 'utf8');
      } catch {
        /* no /proc */
      }
      const anon = Number(/^Anonymous:\s+(\d+)/m.exec(rollup)?.[1] ?? NaN) * 1024;
      sample = { wallMs, anon, ...(JSON.parse(m[1]!) as Omit<Sample, 'wallMs' | 'anon'>) };
      child.kill('SIGTERM');
    });
    child.on('error', reject);
    child.on('exit', (code) => (sample !== undefined ? resolve(sample) : reject(new Error(`startup probe (${config.name}) exited ${code}: ${out.slice(0, 300)}`))));
  });
}

const MB = 1024 * 1024;

export async function run(): Promise<BenchResult> {
  const rounds = Number(process.env.BENCH_STARTUP_ROUNDS ?? 15);
  const configs = [BARE, MONITOR, BLOCK_DEFAULT, BLOCK_STRICT];
  const samples = new Map<Configuration, Sample[]>(configs.map((c) => [c, []]));
  await probe(BARE); // the first start of a session reads files from disk; keep it out
  for (let r = 0; r < rounds; r++) {
    for (const c of roundOrder(configs, r)) samples.get(c)!.push(await probe(c));
  }
  const med = (c: Configuration, k: keyof Sample): number => median(samples.get(c)!.map((s) => s[k]));
  const rows = configs.map((c) => {
    const d = (k: keyof Sample): string => (c === BARE ? '' : fmt((med(c, k) - med(BARE, k)) / MB, 1));
    return {
      config: c.name,
      'preloads done ms': fmt(med(c, 'appStartMs'), 1),
      'app loaded ms': fmt(median(samples.get(c)!.map((s) => s.readyMs - s.appStartMs)), 1),
      'ready ms': fmt(med(c, 'readyMs'), 1),
      'ready Δ ms': c === BARE ? '' : fmt(med(c, 'readyMs') - med(BARE, 'readyMs'), 1),
      'wall ms (spawn to ready)': fmt(med(c, 'wallMs'), 1),
      'modules loaded': med(c, 'modules'),
      'RSS MB': fmt(med(c, 'rss') / MB, 1),
      'RSS Δ MB': d('rss'),
      'anonymous Δ MB': d('anon'),
      'heap used Δ MB': d('heapUsed'),
      'heap reserved Δ MB': d('heapTotal'),
      'young gen MB': fmt(med(c, 'newSpace') / MB, 0),
    };
  });
  return {
    name: `Start-up and idle footprint (${rounds} alternating rounds, medians)`,
    rows,
    notes: [
      'Each round starts bench/apps/startup.js (express and pg loaded, an app built, listening on 127.0.0.1, no request served) once per ' +
        'configuration. ready ms is from the process\'s start (performance.timeOrigin) to listening; preloads done ms to the ' +
        'app\'s first line (Node\'s boot and the preload), app loaded ms from there to listening (the app\'s own loading, which ' +
        'Palisade\'s module hooks see). wall ms is spawn to the probe\'s report as the runner sees it. Memory is read once listening, after two full GCs. ' +
        'anonymous is RSS less the pages mapped from files (smaps_rollup): the process\'s own memory. heap reserved is V8\'s heapTotal, ' +
        'young gen its new space: V8 grows the young generation when enough bytes survive its collections, which the preload\'s ' +
        'start-up allocations can bring about before the app serves anything.',
    ],
  };
}

if (require.main === module) runStandalone(run);
