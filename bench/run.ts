import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALS_FLOOR, BASE_CONFIGS, EVENT_LOG, EXTRA_CONFIGS, machine, markdownTable, ROOT, type BenchResult } from './lib';
import { rateFromEnv, roundsFromEnv, runMacro, secondsFromEnv, warmupFromEnv, type Route } from './macro';
import { orderBody, preparePg, startUpstream } from './fixtures';
import { targetsSection } from './targets';

/**
 * `npm run bench`: the whole suite, one run, written to bench/results.md.
 * BENCH_ROUNDS and BENCH_SECONDS scale the macro runs; BENCH_ONLY picks parts
 * (comma-separated: macro, micro, fastpath, detectors, startup, connections, memory).
 */
type Suite = { name: string; run: () => Promise<BenchResult | BenchResult[]> };

function optional(file: string): Suite[] {
  const full = path.join(__dirname, file);
  if (!fs.existsSync(full)) return [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(full) as { run?: () => Promise<BenchResult | BenchResult[]> };
  return mod.run ? [{ name: file, run: mod.run }] : [];
}

/** Every HTTP app and route, one combined table. */
async function macro(): Promise<BenchResult> {
  const upstream = await startUpstream();
  const pg = await preparePg();
  const order: Route = {
    name: 'realistic: POST /order (25-field JSON, file, 2 pg queries, loopback HTTP)',
    path: '/order',
    method: 'POST',
    body: orderBody(),
    headers: { 'content-type': 'application/json' },
    ...(pg.table === undefined ? { skip: pg.reason } : {}),
  };
  const before = fs.existsSync(EVENT_LOG) ? fs.statSync(EVENT_LOG).size : 0;
  try {
    const env = { BENCH_UPSTREAM_PORT: String(upstream.port), ...(pg.table !== undefined ? { BENCH_PG_TABLE: pg.table } : {}) };
    const empty: Route = { name: 'empty route', path: '/empty' };
    const emptyNoFloor: Route = { ...empty, except: [ALS_FLOOR.name] };
    const apps: Array<{ name: string; routes: Route[] }> = [
      { name: 'express', routes: [empty, order] },
      { name: 'fastify', routes: [emptyNoFloor] },
      { name: 'http', routes: [empty] },
    ];
    // BENCH_APPS=express,http and BENCH_ROUTES=empty narrow the macro runs while working on one case.
    const onlyApps = process.env.BENCH_APPS?.split(',');
    const onlyRoutes = process.env.BENCH_ROUTES?.split(',');
    // BENCH_CONFIGS=bare,default keeps bare plus the named configurations (matched by substring);
    // the extra ones (machinery) run only when named.
    const onlyConfigs = process.env.BENCH_CONFIGS?.split(',');
    const configs =
      onlyConfigs === undefined
        ? [...BASE_CONFIGS, ...EXTRA_CONFIGS.filter((c) => c.name.includes('@'))]
        : [...BASE_CONFIGS, ...EXTRA_CONFIGS].filter((c) => c === BASE_CONFIGS[0] || onlyConfigs.some((n) => c.name.includes(n)));
    const parts: BenchResult[] = [];
    for (const app of apps) {
      if (onlyApps !== undefined && !onlyApps.includes(app.name)) continue;
      const routes = app.routes.filter((r) => onlyRoutes === undefined || onlyRoutes.some((n) => r.name.includes(n)));
      if (routes.length === 0) continue;
      parts.push(await runMacro({ script: `bench/apps/${app.name}.js`, routes, configs, env }));
    }
    const notes = parts.flatMap((p) => p.notes ?? []);
    notes.push(
      'Configurations: bare = no Palisade; monitor = PALISADE_MODE=monitor, no policy; block + default = policies/default.yaml ' +
        '(injection blocking, no behaviour sections); block + strict = bench/policies/strict-bench.yaml, the strict preset with ' +
        'package scopes on and the bench apps\' needs granted; block, detectors off (machinery), run only when BENCH_CONFIGS names it, ' +
        '= bench/policies/no-detection.yaml, every hook and request scope with nothing judged; block + strict, packages inherit, run only when ' +
        'BENCH_CONFIGS names it (inherit), = block + strict with packages: { "*": { inherit: true } }: no verdict depends on the calling ' +
        'package, so no call reads the stack, and its distance to block + strict is what package attribution costs. ALS only (floor) is not Palisade: each request runs in an ' +
        'AsyncLocalStorage scope and nothing else (bench/apps/als-floor.js), the cost any request-scoped agent pays on this Node version; ' +
        'it runs on the express and http apps only. ALS + minimal judge, run only when BENCH_CONFIGS names it (judge), is not Palisade either: ' +
        'the floor plus a judge that looks for every request string in every sink call\'s text and does nothing else ' +
        '(bench/apps/judge-floor.js). ratio per round is each round\'s req/s against bare\'s in the same round, lowest ' +
        'and highest: how far apart single rounds read, so that a median within that spread of a target is not read as a verdict. ' +
        'app CPU µs/req is the app process\'s CPU time (user + system) per request ' +
        'during the timed run: on a shared machine it is steadier than req/s, which also measures the scheduler. main thread µs/req ' +
        'is the main thread alone (read from /proc by the runner, in 10 ms ticks): it limits throughput, while GC, compiler and ' +
        'libuv threads run beside it. young gen MB is V8\'s young generation, reserved (part of RSS): V8 doubles it once enough ' +
        'bytes have survived its collections, which a busy app reaches after some number of requests, sooner the more it keeps ' +
        'alive per request. A run that catches one configuration before that step and another after it differs by the step ' +
        '(16 or 32 MB) in RSS; RSS Δ beyond young gen leaves it out. RSS Δ after full GC is read once more after two forced ' +
        'full GCs (the apps run with --expose-gc): without the garbage that waits in the old generation for V8\'s next full ' +
        'collection, which on Node 20 is most of the difference (docs/performance.md, RSS on Node 20). RSS Δ mean during run ' +
        'is the mean of RSS sampled from /proc every 100 ms through the timed run, against bare\'s: the columns above read ' +
        'RSS once, at whatever point of the collector\'s sawtooth the run ended, and move by ±10 MB from run to run. ' +
        'of it file-backed is the part of that Δ in pages mapped from files (RssFile), nearly all of them the node binary\'s own ' +
        'code that the process has run: shared with every node process on the host and reclaimable, where the rest is the ' +
        'process\'s own memory. ' +
        'nextTick ns is the cost of queueing one process.nextTick, timed in the app after the run, median (max) over its rounds. ' +
        'On V8\'s slow path, where a full collection with no tick object alive has left nextTick storing every key through the ' +
        'runtime for the rest of the process, it reads ~2.5-6x the fast path (session 17). The figures scale with the machine (session 17: ~40-170 ns ' +
        'fast, ~270-600 slow; session 18\'s VM, 2.3x slower, read 261-367 ns fast under Node 20\'s async hooks), so compare a ' +
        'configuration with bare and with the ALS floor (the same async hooks, no pin) in the same run, not with those numbers. Bare ' +
        'apps can fall onto it too (Palisade keeps one tick object alive so that its processes do not): a ratio against a slow ' +
        'bare flatters the configuration (docs/performance-history.md, session 17). A collection during the timing can make one reading, and so the max, far higher.',
    );
    const events = palisadeEventsSince(before);
    notes.push(
      events.length === 0
        ? 'No Palisade events were logged during the macro runs (every measured request was on the allow path).'
        : `WARNING: ${events.length} Palisade events were logged during the macro runs, e.g. ${events[0]!.slice(0, 300)}`,
    );
    return {
      name: `HTTP throughput (${roundsFromEnv()} alternating rounds × ${secondsFromEnv()} s per configuration${warmupFromEnv() !== 1 ? ` after ${warmupFromEnv()} s of warm-up` : ''}, 10 connections, ${rateFromEnv() !== undefined ? `held at ${rateFromEnv()} req/s, ` : ''}medians)`,
      rows: parts.flatMap((p) => p.rows),
      notes,
    };
  } finally {
    await upstream.stop();
    await pg.drop();
  }
}

function markdownSection(r: BenchResult): string {
  return `## ${r.name}\n\n${markdownTable(r.rows)}${(r.notes ?? []).map((n) => `\n${n}\n`).join('')}\n`;
}

function palisadeEventsSince(offset: number): string[] {
  if (!fs.existsSync(EVENT_LOG)) return [];
  const text = fs.readFileSync(EVENT_LOG, 'utf8').slice(offset);
  return text.split('\n').filter((l) => l.includes('"schema":"palisade.event/1"'));
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY === undefined || process.env.BENCH_ONLY === '' ? undefined : new Set(process.env.BENCH_ONLY.split(','));
  const want = (part: string): boolean => only === undefined || only.has(part);
  const suites: Suite[] = [];
  if (want('macro')) suites.push({ name: 'macro', run: macro });
  if (want('micro')) suites.push(...optional('micro.js'));
  if (want('fastpath')) suites.push(...optional('fastpath.js'));
  if (want('detectors')) for (const f of ['taint.js', 'sql-detector.js', 'shell-detector.js', 'detectors-misc.js', 'policy.js']) suites.push(...optional(f));
  if (want('startup')) suites.push(...optional('startup.js'));
  if (want('connections')) suites.push(...optional('connections.js'));
  if (want('memory')) suites.push(...optional('memory.js'));
  const started = Date.now();
  let md =
    `# Benchmark results\n\nMachine: ${machine()}\n\nLoad average at start: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}. ` +
    'Ratios are against bare in the same run; configurations run in separate processes and alternate between rounds. ' +
    'Reproduce with `npm run bench` (see docs/performance.md).\n\n';
  const all: BenchResult[] = [];
  let sections = '';
  for (const s of suites) {
    process.stderr.write(`bench: ${s.name}…\n`);
    const results = await s.run();
    for (const r of Array.isArray(results) ? results : [results]) {
      const section = markdownSection(r);
      process.stdout.write(section);
      sections += section;
      all.push(r);
    }
  }
  // The verdicts first: what a reader of the file asks, with the tables they are read from below.
  const targets = targetsSection(all);
  if (targets !== undefined) {
    const section = markdownSection(targets);
    process.stdout.write(section);
    md += section;
  }
  md += sections;
  md += `Suite time: ${((Date.now() - started) / 60000).toFixed(1)} min; load average at end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}.\n`;
  const out = path.join(ROOT, 'bench', 'results.md');
  fs.writeFileSync(out, md);
  fs.rmSync(EVENT_LOG, { force: true });
  process.stderr.write(`bench: wrote ${path.relative(process.cwd(), out)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  fs.rmSync(EVENT_LOG, { force: true });
  process.exit(1);
});
