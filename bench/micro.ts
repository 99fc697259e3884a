import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fmt, median, ROOT, type BenchResult, runStandalone } from './lib';
import { preparePg, startUpstream } from './fixtures';

/**
 * Per-sink cost, bare vs block (no policy), outside and inside an untrusted
 * scope. Each configuration runs in its own child process; children
 * alternate (bare, block, block, bare, …) and each figure is the median over
 * children of the child's median. The "wrapper" column comes from inside the
 * block child: the patched function against its own original, alternating,
 * which is the precise figure for the outside-a-request fast path.
 */

type ChildResult = Record<string, { outside: number; inside: number; wrapper?: number }>;

function child(mode: 'bare' | 'block', upstream: number, table: string | undefined): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'dist', 'bench', 'micro-child.js'), mode, String(upstream), table ?? '-'],
      { cwd: ROOT, env: { ...process.env, PALISADE_POLICY: '' }, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err !== null) return reject(new Error(`micro-child ${mode}: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult);
      },
    );
  });
}

function us(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  const v = ns / 1000;
  return Math.abs(v) >= 100 ? fmt(v, 0) : Math.abs(v) >= 10 ? fmt(v, 1) : fmt(v, 2);
}

export async function run(): Promise<BenchResult> {
  const rounds = Number(process.env.BENCH_MICRO_ROUNDS ?? 3);
  const upstream = await startUpstream();
  const pg = await preparePg();
  const results: Record<'bare' | 'block', ChildResult[]> = { bare: [], block: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      const order: Array<'bare' | 'block'> = r % 2 === 0 ? ['bare', 'block'] : ['block', 'bare'];
      for (const m of order) results[m].push(await child(m, upstream.port, pg.table));
    }
  } finally {
    await upstream.stop();
    await pg.drop();
  }
  const rows: Array<Record<string, string | number>> = [];
  const pick = (m: 'bare' | 'block', op: string, k: 'outside' | 'inside' | 'wrapper'): number => median(results[m].map((x) => x[op]?.[k] ?? NaN).filter((x) => !Number.isNaN(x)));
  for (const op of Object.keys(results.bare[0]!)) {
    const bo = pick('bare', op, 'outside');
    const ko = pick('block', op, 'outside');
    const bi = pick('bare', op, 'inside');
    const ki = pick('block', op, 'inside');
    const w = pick('block', op, 'wrapper');
    rows.push({
      operation: op,
      'bare µs': us(bo),
      'outside: block µs': us(ko),
      'outside: added µs': us(ko - bo),
      'outside: wrapper vs original, same process, µs': Number.isNaN(w) ? '' : us(w),
      'inside: bare µs': us(bi),
      'inside: block µs': us(ki),
      'inside: added µs': us(ki - bi),
    });
  }
  const notes = [
    `${rounds} child processes per configuration, alternating; each figure is the median over children of a median over 5 timed rounds. ` +
      'Inside = within `untrusted()` holding the 25 values of the realistic request (the operation uses one of them, as the realistic route does); ' +
      'bare runs the same scope, so AsyncLocalStorage is active in both and the difference is the sink check itself. ' +
      'Block runs without a policy (no rule applies outside a request). Differences below the noise of the bare figure are not significant; ' +
      'the same-process column is the precise one for the fast path by time, and the fastpath part counts it in instructions.',
  ];
  if (pg.table === undefined) notes.push(`pg row skipped: ${pg.reason}`);
  return { name: 'Sink calls: added cost per call (micro)', rows, notes };
}

if (require.main === module) runStandalone(run);
