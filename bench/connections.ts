import * as http from 'node:http';
import * as path from 'node:path';
import { orderBody } from './fixtures';
import { BARE, BLOCK_DEFAULT, EXTRA_CONFIGS, fmt, median, ROOT, roundOrder, runStandalone, startBenchApp, type BenchResult, type Configuration } from './lib';
import { memoryOf } from './macro';

/**
 * Memory held per idle keep-alive connection: BENCH_CONNECTIONS clients
 * (default 1000) each send one JSON order to bench/apps/mixed.js and keep
 * their connection open, idle; the app's heap after two forced GCs, against
 * its heap before. Node arms each connection's keep-alive timer on the
 * response's way out, inside the request's async context, so under an
 * AsyncLocalStorage the timer would keep whatever the request's scope holds
 * alive until the connection's next request or its keep-alive timeout (5 s
 * by default): docs/performance-history.md, "Session 23". Palisade arms that timer
 * outside the scope since session 24 (hooks/http-server.ts); this suite keeps
 * the figure visible. BENCH_CONNECTIONS_ROUNDS (default 3)
 * alternating rounds, medians; BENCH_COMPARE_DIST adds an earlier build, as
 * in the macro runs.
 */

async function idleHeap(config: Configuration, n: number): Promise<number> {
  const app = await startBenchApp(path.join(ROOT, 'bench', 'apps', 'mixed.js'), config, {}, ['--expose-gc']);
  // An agent per connection: one shared agent hands a finished connection to the next request, and a fast app
  // then serves n requests over fewer connections (1 000 requests read as ~3 KB a connection, not ~10).
  const agents = Array.from({ length: n }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const body = orderBody();
  const order = (i: number, via: http.Agent | false): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: app.port,
          path: `/order?ref=${i}`,
          method: 'POST',
          agent: via,
          headers: { 'content-type': 'application/json', cookie: `session=s${i}; theme=dark`, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) bench' },
        },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`connections bench (${config.name}): status ${res.statusCode}`));
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  try {
    // The same n requests served first, one closed connection at a time: what a configuration builds on its
    // first requests and keeps (compiled code, its bounded caches filled with these values) would otherwise
    // count as the idle connections'.
    for (let i = 0; i < n; i++) await order(i, false);
    const before = await memoryOf(app.port, true);
    await Promise.all(agents.map((agent, i) => order(i, agent)));
    // Read over a connection of its own; the n stay open and idle meanwhile.
    const after = await memoryOf(app.port, true);
    return after.heapUsed - before.heapUsed;
  } finally {
    for (const a of agents) a.destroy();
    await app.stop();
  }
}

export async function run(): Promise<BenchResult> {
  const n = Number(process.env.BENCH_CONNECTIONS ?? 1000);
  const rounds = Number(process.env.BENCH_CONNECTIONS_ROUNDS ?? 3);
  const configs = [BARE, BLOCK_DEFAULT, ...EXTRA_CONFIGS.filter((c) => c.name.includes('@'))];
  const grown = new Map<Configuration, number[]>(configs.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) for (const c of roundOrder(configs, r)) grown.get(c)!.push(await idleHeap(c, n));
  const bare = median(grown.get(BARE)!);
  return {
    name: `Memory held by ${n.toLocaleString('en-US')} idle keep-alive connections (${rounds} alternating rounds, medians)`,
    rows: configs.map((c) => {
      const g = median(grown.get(c)!);
      return {
        config: c.name,
        'heap growth MB': fmt(g / 1048576, 2),
        'KB per connection': fmt(g / 1024 / n, 2),
        'over bare, KB per connection': c === BARE ? '' : fmt((g - bare) / 1024 / n, 2),
      };
    }),
    notes: [
      'bench/apps/mixed.js; each connection has sent one POST /order (the 25-field JSON body, a SQLite query and a file read: ' +
        'every sink call extracts the request\'s inputs) and stays open. heap growth is the heap used after two forced GCs with the ' +
        'connections idle, less the heap used before them. Node arms each connection\'s keep-alive timer inside the request\'s ' +
        'async context; Palisade arms it outside the request\'s scope, which the timer would otherwise keep alive (the request, ' +
        'the response and the extracted inputs) until the connection\'s next request or its keep-alive timeout. Over bare ' +
        'measures what stays alive per idle connection all the same. Needs BENCH_CONNECTIONS open files in the app and in the runner.',
    ],
  };
}

if (require.main === module) runStandalone(run);
