import autocannon from 'autocannon';
import * as path from 'node:path';
import { orderBody } from './fixtures';
import { BARE, BLOCK_DEFAULT, fmt, ROOT, startBenchApp, type BenchResult, type Configuration, runStandalone } from './lib';
import { memoryOf } from './macro';

/**
 * Memory under a long mixed workload: RSS and heap (after a full GC) at
 * checkpoints up to BENCH_MEMORY_REQUESTS requests (default 100k; set
 * 1000000 for the 1M run). One request in five is an attack that block mode
 * stops (SQL injection, path traversal), so the event path (stack capture,
 * reporter, rate limiter) runs all along. Flat means the heap after GC at the
 * last checkpoint is within noise of the first.
 */

const json = { 'content-type': 'application/json' };

const WORKLOAD: autocannon.Request[] = [
  { method: 'GET', path: '/empty' },
  { method: 'POST', path: '/order', headers: json, body: orderBody() },
  { method: 'GET', path: '/search?team=platform' },
  { method: 'GET', path: '/file?name=receipt.txt' },
  { method: 'GET', path: `/search?team=${encodeURIComponent("x' OR '1'='1")}` },
  { method: 'GET', path: '/empty' },
  { method: 'POST', path: '/order', headers: json, body: orderBody() },
  { method: 'GET', path: '/search?team=data' },
  { method: 'GET', path: '/file?name=receipt.txt' },
  { method: 'GET', path: `/file?name=${encodeURIComponent('../../../../../../etc/passwd')}` },
];

interface Point {
  requests: number;
  rss: number;
  /** V8's young generation (reserved), part of rss. */
  newSpace: number;
  heapUsed: number;
  external: number;
  blocked: number;
}

async function drive(port: number, amount: number): Promise<{ non2xx: number; errors: number }> {
  const r = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 10, amount, requests: WORKLOAD });
  return { non2xx: r.non2xx, errors: r.errors };
}

async function track(config: Configuration, total: number, checkpoints: number[]): Promise<Point[]> {
  const app = await startBenchApp(path.join(ROOT, 'bench', 'apps', 'mixed.js'), config, {}, ['--expose-gc']);
  const points: Point[] = [];
  try {
    let done = 0;
    let blocked = 0;
    const warm = await drive(app.port, 5_000); // JIT, lazily created structures
    if (warm.errors > 0) throw new Error(`memory bench (${config.name}): ${warm.errors} errors`);
    for (const at of checkpoints) {
      const r = await drive(app.port, at - done);
      if (r.errors > 0) throw new Error(`memory bench (${config.name}): ${r.errors} errors`);
      blocked += r.non2xx;
      done = at;
      const m = await memoryOf(app.port, true);
      points.push({ requests: done, rss: m.rss, newSpace: m.newSpace, heapUsed: m.heapUsed, external: m.external, blocked });
      process.stderr.write(`bench: memory ${config.name} ${done}/${total}\n`);
    }
  } finally {
    await app.stop();
  }
  return points;
}

export async function run(): Promise<BenchResult> {
  const total = Number(process.env.BENCH_MEMORY_REQUESTS ?? 100_000);
  const checkpoints = [...new Set([Math.round(total / 10), Math.round(total / 2), total])];
  const configs = [BARE, BLOCK_DEFAULT];
  const series = new Map<string, Point[]>();
  for (const c of configs) series.set(c.name, await track(c, total, checkpoints));
  const rows: Array<Record<string, string | number>> = [];
  const bare = series.get(BARE.name)!;
  for (const c of configs) {
    const pts = series.get(c.name)!;
    pts.forEach((p, i) => {
      rows.push({
        config: c.name,
        requests: p.requests.toLocaleString('en-US'),
        'non-2xx so far': p.blocked.toLocaleString('en-US'),
        'RSS MB': fmt(p.rss / 1048576, 1),
        'heap used MB (after GC)': fmt(p.heapUsed / 1048576, 2),
        'external MB': fmt(p.external / 1048576, 2),
        'RSS Δ to bare MB': c === BARE ? '' : fmt((p.rss - bare[i]!.rss) / 1048576, 1),
        'young gen MB': fmt(p.newSpace / 1048576, 0),
        'RSS Δ beyond young gen MB': c === BARE ? '' : fmt((p.rss - p.newSpace - (bare[i]!.rss - bare[i]!.newSpace)) / 1048576, 1),
        'heap Δ since first checkpoint MB': fmt((p.heapUsed - pts[0]!.heapUsed) / 1048576, 2),
      });
    });
  }
  return {
    name: `Memory over ${total.toLocaleString('en-US')} requests of a mixed workload (20% attacks)`,
    rows,
    notes: [
      'bench/apps/mixed.js under 10 keep-alive connections; the workload cycles empty, JSON order (file + SQLite), search, file, and two attacks ' +
        "(`team=x' OR '1'='1` → SQL injection, `name=../../../../../../etc/passwd` → path traversal). Bare runs the attacks (they answer 200/404); " +
        'block answers 403. Memory is read after two forced GCs (`--expose-gc`). Set BENCH_MEMORY_REQUESTS=1000000 for the 1M run.',
    ],
  };
}

if (require.main === module) runStandalone(run);
