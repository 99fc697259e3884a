import autocannon from 'autocannon';
import * as path from 'node:path';
import { BASE_CONFIGS, fmt, median, ROOT, startBenchApp, type BenchResult, type Configuration } from './lib';

/**
 * HTTP throughput of an app bare vs under Palisade. Each configuration runs
 * in its own process; configurations alternate (A B C A B C …) so drift on
 * the machine hits all alike; we report medians and ratios to bare.
 */
export interface Route {
  name: string;
  path: string;
  method?: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface MacroOptions {
  script: string;
  routes: Route[];
  configs?: Configuration[];
  rounds?: number;
  seconds?: number;
  connections?: number;
  env?: Record<string, string>;
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  rss: number;
}

async function once(port: number, route: Route, seconds: number, connections: number): Promise<Omit<Sample, 'rss'>> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${route.path}`,
    method: (route.method ?? 'GET') as 'GET',
    body: route.body,
    headers: route.headers,
    connections,
    duration: seconds,
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${route.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

export async function runMacro(o: MacroOptions): Promise<BenchResult> {
  const configs = o.configs ?? BASE_CONFIGS;
  const rounds = o.rounds ?? Number(process.env.BENCH_ROUNDS ?? 3);
  const seconds = o.seconds ?? Number(process.env.BENCH_SECONDS ?? 5);
  const connections = o.connections ?? 10;
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < rounds; round++) {
    for (const config of configs) {
      const app = await startBenchApp(path.resolve(ROOT, o.script), config, o.env);
      try {
        for (const route of o.routes) {
          await once(app.port, route, 1, connections); // warm-up: JIT, connection pools
          const s = await once(app.port, route, seconds, connections);
          const rss = await fetch(`http://127.0.0.1:${app.port}/__rss`).then((r) => r.json() as Promise<{ rss: number }>);
          const key = `${route.name}|${config.name}`;
          if (!samples.has(key)) samples.set(key, []);
          samples.get(key)!.push({ ...s, rss: rss.rss });
        }
      } finally {
        await app.stop();
      }
    }
  }
  const rows: Array<Record<string, string | number>> = [];
  for (const route of o.routes) {
    const bare = samples.get(`${route.name}|${configs[0]!.name}`)!;
    const bareRps = median(bare.map((s) => s.rps));
    const bareRss = median(bare.map((s) => s.rss));
    for (const config of configs) {
      const s = samples.get(`${route.name}|${config.name}`)!;
      const rps = median(s.map((x) => x.rps));
      const rss = median(s.map((x) => x.rss));
      rows.push({
        route: route.name,
        config: config.name,
        'req/s': Math.round(rps),
        'ratio to bare': fmt(rps / bareRps),
        'p50 ms': fmt(median(s.map((x) => x.p50)), 1),
        'p99 ms': fmt(median(s.map((x) => x.p99)), 1),
        'RSS MB': fmt(rss / 1048576, 1),
        'RSS Δ MB': config.name === configs[0]!.name ? '' : fmt((rss - bareRss) / 1048576, 1),
      });
    }
  }
  return {
    name: `HTTP: ${path.basename(o.script)} (${rounds} alternating rounds × ${seconds}s, ${connections} connections, medians)`,
    rows,
  };
}
