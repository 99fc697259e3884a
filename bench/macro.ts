import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fmt, median, ROOT, roundOrder, startBenchApp, type BenchResult, type Configuration } from './lib';

/**
 * HTTP throughput of an app bare vs under Palisade. Each configuration runs
 * in its own process; configurations alternate (A B C D A B C D …) so drift
 * on the machine hits all alike; we report medians and ratios to bare.
 */
export interface Route {
  name: string;
  path: string;
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  /** Why this route is not run at all (e.g. no database). */
  skip?: string;
  /** Configurations (by name) this route is not run under; bare always runs. */
  except?: string[];
}

export interface MacroOptions {
  script: string;
  routes: Route[];
  configs: Configuration[];
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
  /** V8's young generation (reserved), part of rss. */
  newSpace: number;
  /** rss again after two full GCs: without the garbage that waits in the old generation. */
  rssAfterGc: number;
  /** Mean RSS over the timed run, sampled from /proc; undefined where /proc cannot tell. */
  rssDuring: number | undefined;
  /** The file-backed part of rssDuring (RssFile: mostly the node binary's code pages that ran), same samples. */
  rssFileDuring: number | undefined;
  /** App process CPU time (user + system) per request, µs. */
  cpu: number;
  /** The app's main thread alone, µs per request; undefined where /proc cannot tell. */
  main: number | undefined;
  /** ns per process.nextTick call after the run (bench/apps/common.js, tickNs); undefined if the app did not say. */
  tickNs: number | undefined;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  requests: number;
}

export async function load(port: number, route: Route, o: { seconds?: number; amount?: number; connections: number; rate?: number }): Promise<LoadResult> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${route.path}`,
    method: (route.method ?? 'GET') as 'GET',
    body: route.body,
    headers: route.headers,
    connections: o.connections,
    ...(o.amount !== undefined ? { amount: o.amount } : { duration: o.seconds ?? 1 }),
    ...(o.rate !== undefined ? { overallRate: o.rate } : {}),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, requests: r.requests.total };
}

async function once(port: number, pid: number | undefined, route: Route, seconds: number, connections: number): Promise<Omit<Sample, 'rss' | 'newSpace' | 'rssAfterGc' | 'tickNs'>> {
  const before = await memoryOf(port);
  const mainBefore = mainThreadCpuMicros(pid);
  const rate = rateFromEnv();
  // RSS read once, after the run, lands at a random point of the collector's sawtooth (old-generation
  // garbage comes and goes by tens of MB): the mean of samples taken through the run does not.
  const rssSamples: number[] = [];
  const fileSamples: number[] = [];
  const sampler = setInterval(() => {
    const v = residentBytes(pid);
    if (v === undefined) return;
    rssSamples.push(v.rss);
    if (v.file !== undefined) fileSamples.push(v.file);
  }, 100);
  let r: LoadResult;
  try {
    r = await load(port, route, { seconds, connections, ...(rate !== undefined && seconds > 1 ? { rate } : {}) });
  } finally {
    clearInterval(sampler);
  }
  const after = await memoryOf(port);
  const mainAfter = mainThreadCpuMicros(pid);
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${route.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  const requests = Math.max(1, r.requests);
  return {
    ...r,
    rssDuring: mean(rssSamples),
    // A kernel without RssFile (before Linux 4.5) leaves the column out, not the RSS beside it.
    rssFileDuring: fileSamples.length === rssSamples.length ? mean(fileSamples) : undefined,
    cpu: (after.cpuMicros - before.cpuMicros) / requests,
    main: mainBefore === undefined || mainAfter === undefined ? undefined : (mainAfter - mainBefore) / requests,
  };
}

/**
 * CPU time of a process's main thread, read from outside (Linux /proc; undefined
 * elsewhere). The main thread is what limits an app's throughput: V8's GC and
 * compiler threads and libuv's pool run beside it, and the app's own
 * process.cpuUsage() counts them too. Read by the runner, not the app, so a
 * strict policy never sees the read. Clock ticks are 10 ms (USER_HZ 100).
 */
function mainThreadCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    // Fields after the parenthesised name, from field 3 (state): utime is field 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/**
 * A process's resident set in bytes and its file-backed part, read from outside (Linux /proc; undefined
 * elsewhere). The file-backed part is mostly pages of the node binary's own code that the process has run:
 * shared with every other node process on the host and dropped by the kernel under pressure, unlike the
 * rest (RssAnon, RssShmem), which is the process's own.
 */
function residentBytes(pid: number | undefined): { rss: number; file: number | undefined } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const file = /RssFile:\s+(\d+) kB/.exec(status);
    return rss === null ? undefined : { rss: Number(rss[1]) * 1024, file: file === null ? undefined : Number(file[1]) * 1024 };
  } catch {
    return undefined;
  }
}

function mean(xs: readonly number[]): number | undefined {
  return xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** `newSpace`: V8's young generation, reserved bytes (bench/apps/common.js). */
export type AppMemory = NodeJS.MemoryUsage & { cpuMicros: number; newSpace: number; tickNs?: number };

export async function memoryOf(port: number, gc = false, tick = false): Promise<AppMemory> {
  const res = await fetch(`http://127.0.0.1:${port}/__mem${gc ? '?gc=1' : tick ? '?tick=1' : ''}`);
  return (await res.json()) as AppMemory;
}

export function roundsFromEnv(): number {
  return Number(process.env.BENCH_ROUNDS ?? 3);
}

export function secondsFromEnv(): number {
  return Number(process.env.BENCH_SECONDS ?? 4);
}

/**
 * BENCH_WARMUP_SECONDS (default 1) of full-speed load before each timed run.
 * V8 grows the young generation as bytes survive its collections, bare's
 * included, up to its maximum (32 MB on Node 20) within a minute or two of
 * load; the default warm-up reads RSS partway through that climb, where a
 * configuration that keeps a little more alive per request is one step ahead
 * of bare. A warm-up of ~100 s reads every configuration at its steady state
 * (docs/performance-history.md, "Session 23").
 */
export function warmupFromEnv(): number {
  return Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
}

/**
 * BENCH_RATE=N holds every timed run at N req/s (the warm-up stays at full
 * speed). Every configuration then does the same work in the same time, and
 * the app's CPU µs per request is the figure to compare; req/s only shows the
 * rate was held. On a shared machine this separated changes of ±10 % that
 * saturated runs did not (docs/performance.md).
 */
export function rateFromEnv(): number | undefined {
  const r = Number(process.env.BENCH_RATE);
  return Number.isFinite(r) && r > 0 ? r : undefined;
}

export async function runMacro(o: MacroOptions): Promise<BenchResult> {
  const configs = o.configs;
  const rounds = o.rounds ?? roundsFromEnv();
  const seconds = o.seconds ?? secondsFromEnv();
  const connections = o.connections ?? 10;
  const routes = o.routes.filter((r) => r.skip === undefined);
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < rounds; round++) {
    // Rotate the starting configuration so none always runs first (or right after a cold machine).
    const order = roundOrder(configs, round);
    for (const config of order) {
      const mine = routes.filter((r) => !(r.except ?? []).includes(config.name));
      if (mine.length === 0) continue;
      // --expose-gc: memory is read once more after a full GC, once the timed run is over.
      const app = await startBenchApp(path.resolve(ROOT, o.script), config, o.env, ['--expose-gc']);
      try {
        for (const route of mine) {
          await once(app.port, app.child.pid, route, warmupFromEnv(), connections); // warm-up: JIT, connection pools
          const s = await once(app.port, app.child.pid, route, seconds, connections);
          // Before the forced GCs below: a full collection can itself put nextTick on its slow path. Asked twice,
          // the lower kept: the first reading after the load sometimes falls into the collector's work (792 ns
          // against 97-146 in the same process).
          const mem = await memoryOf(app.port, false, true);
          const again = await memoryOf(app.port, false, true);
          if (again.tickNs !== undefined && (mem.tickNs === undefined || again.tickNs < mem.tickNs)) mem.tickNs = again.tickNs;
          const collected = await memoryOf(app.port, true);
          const key = `${route.name}|${config.name}`;
          if (!samples.has(key)) samples.set(key, []);
          samples.get(key)!.push({ ...s, rss: mem.rss, newSpace: mem.newSpace, rssAfterGc: collected.rss, tickNs: mem.tickNs });
        }
      } finally {
        await app.stop();
      }
    }
  }
  const rows: Array<Record<string, string | number>> = [];
  for (const route of routes) {
    const bare = samples.get(`${route.name}|${configs[0]!.name}`)!;
    const bareRps = median(bare.map((s) => s.rps));
    const bareRss = median(bare.map((s) => s.rss));
    const bareRest = median(bare.map((s) => s.rss - s.newSpace));
    const bareGc = median(bare.map((s) => s.rssAfterGc));
    const bareDuring = medianOf(bare.map((s) => s.rssDuring));
    const bareFileDuring = medianOf(bare.map((s) => s.rssFileDuring));
    const bareCpu = median(bare.map((s) => s.cpu));
    const bareMain = medianOf(bare.map((s) => s.main));
    for (const config of configs) {
      const s = samples.get(`${route.name}|${config.name}`);
      if (s === undefined) continue;
      const rps = median(s.map((x) => x.rps));
      const rss = median(s.map((x) => x.rss));
      const rest = median(s.map((x) => x.rss - x.newSpace));
      const cpu = median(s.map((x) => x.cpu));
      const main = medianOf(s.map((x) => x.main));
      const during = medianOf(s.map((x) => x.rssDuring));
      const fileDuring = medianOf(s.map((x) => x.rssFileDuring));
      const tick = s.every((x) => x.tickNs !== undefined) ? s.map((x) => x.tickNs!) : undefined;
      // Each round's ratio against bare's run in the same round (samples are kept in round order): the spread
      // shows how far one run's median can sit from another's, so a verdict within it is read as noise.
      const perRound = s.length === bare.length ? s.map((x, i) => x.rps / bare[i]!.rps) : undefined;
      rows.push({
        app: path.basename(o.script, '.js'),
        route: route.name,
        config: config.name,
        'req/s': Math.round(rps),
        'ratio to bare': fmt(rps / bareRps),
        'ratio per round, min-max': config.name === configs[0]!.name ? '' : perRound === undefined ? '–' : `${fmt(Math.min(...perRound))}-${fmt(Math.max(...perRound))}`,
        'app CPU µs/req': fmt(cpu, 0),
        'CPU ratio': fmt(cpu / bareCpu),
        'main thread µs/req': main === undefined ? '–' : fmt(main, 0),
        'main ratio': main === undefined || bareMain === undefined ? '–' : fmt(main / bareMain),
        'p50 ms': fmt(median(s.map((x) => x.p50)), 1),
        'p99 ms': fmt(median(s.map((x) => x.p99)), 1),
        'RSS MB': fmt(rss / 1048576, 1),
        'RSS Δ MB': config.name === configs[0]!.name ? '' : fmt((rss - bareRss) / 1048576, 1),
        'young gen MB': fmt(median(s.map((x) => x.newSpace)) / 1048576, 0),
        'RSS Δ beyond young gen MB': config.name === configs[0]!.name ? '' : fmt((rest - bareRest) / 1048576, 1),
        'RSS Δ after full GC MB': config.name === configs[0]!.name ? '' : fmt((median(s.map((x) => x.rssAfterGc)) - bareGc) / 1048576, 1),
        'RSS Δ mean during run MB': config.name === configs[0]!.name ? '' : during === undefined || bareDuring === undefined ? '–' : fmt((during - bareDuring) / 1048576, 1),
        'of it file-backed MB': config.name === configs[0]!.name ? '' : fileDuring === undefined || bareFileDuring === undefined ? '–' : fmt((fileDuring - bareFileDuring) / 1048576, 1),
        'nextTick ns, median (max)': tick === undefined ? '–' : `${fmt(median(tick), 0)} (${fmt(Math.max(...tick), 0)})`,
      });
    }
  }
  const notes = o.routes.filter((r) => r.skip !== undefined).map((r) => `Skipped ${r.name}: ${r.skip}`);
  return {
    name: `HTTP: ${path.basename(o.script)} (${rounds} alternating rounds × ${seconds}s, ${connections} connections, medians)`,
    rows,
    notes,
  };
}

/** Median of samples that all have a value; undefined when any lacks one. */
function medianOf(xs: Array<number | undefined>): number | undefined {
  return xs.every((x): x is number => x !== undefined) ? median(xs) : undefined;
}
