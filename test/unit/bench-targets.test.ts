import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALS_FLOOR, BARE, BLOCK_DEFAULT, BLOCK_STRICT, JUDGE_FLOOR, STRICT_INHERIT, type BenchResult } from '../../bench/lib';
import { targetsSection } from '../../bench/targets';

// `npm run bench` reads the overhead budget from the run's own tables (bench/targets.ts). Timings are never
// asserted here: the tables below are made up, and what is checked is how a reading becomes a verdict, and that
// the tables the suites write still have the names and columns the reading looks for.

const ROOT = path.resolve(__dirname, '..', '..');
const REALISTIC = 'realistic: POST /order (25-field JSON, file, 2 pg queries, loopback HTTP)';

function macroRow(route: string, config: string, ratio: string, rounds: string, rss: string): Record<string, string> {
  return {
    app: 'express',
    route,
    config,
    'ratio to bare': ratio,
    'ratio per round, min-max': rounds,
    'main ratio': '1.10',
    'RSS Δ mean during run MB': rss,
  };
}

function macro(rows: Array<Record<string, string>>): BenchResult {
  return { name: 'HTTP throughput (5 alternating rounds × 8 s per configuration, 10 connections, medians)', rows };
}

function verdictOf(section: BenchResult | undefined, start: string): string | undefined {
  const row = section?.rows.find((r) => String(r.target).startsWith(start));
  return row === undefined ? undefined : String(row.verdict);
}

t.test('a ratio reads met, not met, or as read when its rounds fall on both sides', async (t) => {
  const s = targetsSection([
    macro([
      macroRow('empty route', BARE.name, '1.00', '', ''),
      macroRow('empty route', BLOCK_DEFAULT.name, '0.96', '0.93-0.99', '12.1'),
      macroRow(REALISTIC, BARE.name, '1.00', '', ''),
      macroRow(REALISTIC, BLOCK_DEFAULT.name, '0.86', '0.83-0.90', '12.8'),
      macroRow(REALISTIC, BLOCK_STRICT.name, '0.70', '0.68-0.73', '9.1'),
      macroRow(REALISTIC, STRICT_INHERIT.name, '0.95', '0.94-0.97', '7.3'),
    ]),
  ]);
  t.equal(verdictOf(s, 'express empty route'), 'met as read; some rounds below');
  t.equal(verdictOf(s, 'realistic express route, block + default'), 'not met as read; some rounds above');
  // The inheriting configuration's 0.95× is not strict's: the configuration is matched whole.
  t.equal(verdictOf(s, 'realistic express route, block + strict'), 'not met');
  const strict = s!.rows.find((r) => String(r.target).includes('strict'))!;
  t.match(String(strict['this run']), /^0\.70× \(rounds 0\.68-0\.73×\), main thread 1\.10× bare's$/);

  const clear = targetsSection([macro([macroRow('empty route', BLOCK_DEFAULT.name, '0.97', '0.96-1.00', '5.0')])]);
  t.equal(verdictOf(clear, 'express empty route'), 'met');
  const missed = targetsSection([macro([macroRow(REALISTIC, BLOCK_DEFAULT.name, '0.80', '0.78-0.84', '5.0')])]);
  t.equal(verdictOf(missed, 'realistic express route, block + default'), 'not met');
});

t.test('RSS is read over Palisade configurations only, by the mean through the run', async (t) => {
  const rows = [
    macroRow('empty route', ALS_FLOOR.name, '0.99', '0.97-1.00', '19.0'),
    macroRow(REALISTIC, JUDGE_FLOOR.name, '0.93', '0.91-0.95', '18.0'),
    macroRow('empty route', BLOCK_DEFAULT.name, '0.97', '0.96-1.00', '14.2'),
    macroRow(REALISTIC, BLOCK_STRICT.name, '0.70', '0.68-0.73', '–'),
  ];
  const s = targetsSection([macro(rows)]);
  t.equal(verdictOf(s, 'RSS overhead'), 'met');
  t.match(String(s!.rows.find((r) => String(r.target).startsWith('RSS'))!['this run']), /\+14\.2 MB \(express, empty route, block \+ default\)/);
  rows.push(macroRow(REALISTIC, BLOCK_DEFAULT.name, '0.86', '0.83-0.90', '15.1'));
  t.equal(verdictOf(targetsSection([macro(rows)]), 'RSS overhead'), 'not met');
});

t.test('the SQL check, the fast path and memory are read from their own tables', async (t) => {
  const sql = (us: string): BenchResult => ({
    name: 'SQL injection detector (micro)',
    rows: [
      { dialect: 'postgres', case: '25 inputs, 2 in the query (target)', 'µs/call wall (median)': '2.033' },
      { dialect: 'mysql', case: '25 inputs, 2 in the query (target)', 'µs/call wall (median)': us },
      { dialect: 'mysql', case: '25 inputs, 2 in an ORM-sized query', 'µs/call wall (median)': '5.3' },
    ],
  });
  t.equal(verdictOf(targetsSection([sql('2.9')]), 'SQL check'), 'met');
  t.equal(verdictOf(targetsSection([sql('3.01')]), 'SQL check'), 'not met');

  const micro = (us: string): BenchResult => ({
    name: 'Sink calls: added cost per call (micro)',
    rows: [
      { operation: 'fs.existsSync', 'outside: wrapper vs original, same process, µs': '0.07' },
      { operation: 'new Function', 'outside: wrapper vs original, same process, µs': us },
      { operation: 'pg query', 'outside: wrapper vs original, same process, µs': '' },
    ],
  });
  t.equal(verdictOf(targetsSection([micro('0.15')]), 'sink call outside'), 'met');
  const over = targetsSection([micro('0.31')]);
  t.equal(verdictOf(over, 'sink call outside'), 'not met');
  t.match(String(over!.rows[0]!['this run']), /\+0\.31 µs \(new Function;/);

  const memory = (grew: string): BenchResult => ({
    name: 'Memory over 1,000,000 requests of a mixed workload (20% attacks)',
    rows: [
      { config: BARE.name, requests: '100,000', 'heap Δ since first checkpoint MB': '0.00' },
      { config: BARE.name, requests: '1,000,000', 'heap Δ since first checkpoint MB': '0.11' },
      { config: BLOCK_DEFAULT.name, requests: '100,000', 'heap Δ since first checkpoint MB': '0.00' },
      { config: BLOCK_DEFAULT.name, requests: '1,000,000', 'heap Δ since first checkpoint MB': grew },
    ],
  });
  t.equal(verdictOf(targetsSection([memory('0.22')]), 'memory flat'), 'met');
  t.equal(verdictOf(targetsSection([memory('1.50')]), 'memory flat'), 'not met');
});

t.test('a part that did not run gives no verdict', async (t) => {
  t.equal(targetsSection([]), undefined);
  t.equal(targetsSection([{ name: 'Start-up', rows: [{ config: BARE.name }] }]), undefined);
  const onlySql = targetsSection([
    { name: 'SQL injection detector (micro)', rows: [{ dialect: 'sqlite', case: '25 inputs, 2 in the query (target)', 'µs/call wall (median)': '2.0' }] },
  ]);
  t.same(onlySql!.rows.map((r) => r.target), ['SQL check with 25 inputs ≤ 3 µs median']);
});

t.test('the suites still write the section names and columns the verdicts are read from', async (t) => {
  const source = (file: string): string => fs.readFileSync(path.join(ROOT, 'bench', file), 'utf8');
  const macroTs = source('macro.ts');
  for (const column of ["'ratio to bare'", "'ratio per round, min-max'", "'main ratio'", "'RSS Δ mean during run MB'"]) {
    t.ok(macroTs.includes(column), `bench/macro.ts writes ${column}`);
  }
  t.ok(source('run.ts').includes('name: `HTTP throughput ('), 'bench/run.ts names the macro section');
  t.ok(source('run.ts').includes("name: 'realistic: POST /order"), 'bench/run.ts names the realistic route');
  t.ok(source('run.ts').includes("name: 'empty route'"), 'bench/run.ts names the empty route');
  const sqlTs = source('sql-detector.ts');
  t.ok(sqlTs.includes("name: 'SQL injection detector (micro)'") && sqlTs.includes("(target)'") && sqlTs.includes("'µs/call wall (median)'"), 'bench/sql-detector.ts');
  const microTs = source('micro.ts');
  t.ok(microTs.includes("name: 'Sink calls: added cost per call (micro)'") && microTs.includes("'outside: wrapper vs original, same process, µs'"), 'bench/micro.ts');
  const memoryTs = source('memory.ts');
  t.ok(memoryTs.includes('name: `Memory over ') && memoryTs.includes("'heap Δ since first checkpoint MB'"), 'bench/memory.ts');
});
