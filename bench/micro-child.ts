/**
 * One configuration of the sink micro benchmark, in its own process:
 * `node dist/bench/micro-child.js bare|block <upstreamPort> <pgTable|->`.
 * Prints one JSON line: per operation, ns per call outside any untrusted
 * scope and inside one (an `untrusted()` scope holding the 25 values of a
 * realistic request, one of which the operation uses, as the realistic
 * route does). In the block configuration it also times each synchronous
 * sink against its own unwrapped original, alternating in this process:
 * the wrapper's added cost without cross-process noise.
 */
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median } from './lib';

type Mode = 'bare' | 'block';
const mode = process.argv[2] as Mode;
const upstreamPort = Number(process.argv[3]);
const pgTable = process.argv[4] === '-' ? undefined : process.argv[4];
const SCALE = Number(process.env.BENCH_MICRO_SCALE ?? 1);

// Originals, taken before Palisade patches anything (block only starts below).
const originals = {
  readFileSync: fs.readFileSync,
  existsSync: fs.existsSync,
  join: path.join,
  spawnSync: cp.spawnSync,
  Function: Function,
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-micro-'));
const file = path.join(dir, 'data.txt');
fs.writeFileSync(file, 'x'.repeat(4096));
const missing = path.join(dir, 'missing.txt');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const palisade = require('../lib/index') as typeof import('../lib/index');
if (mode === 'block') palisade.start({ mode: 'block', log: path.join(dir, 'events.log') });

const EMAIL = 'alice.smith@example.com';
const BODY = {
  email: EMAIL, status: 'active', team: 'platform', currency: 'EUR', firstName: 'Alice', lastName: 'Smith', phone: '+44 20 7946 0958',
  address: { street: '221B Baker Street', city: 'London', postcode: 'NW1 6XE', country: 'GB' },
  items: [{ sku: 'SKU-10021', qty: 2, price: 19.99 }, { sku: 'SKU-20417', qty: 1, price: 5.5 }],
  coupon: 'SPRING24', notes: 'Leave at the door, please', locale: 'en-GB', timezone: 'Europe/London', campaign: 'spring-sale',
  referrer: 'https://example.com/blog/post-1', sessionId: '3f2b9c1e-8d7a-4b6f-9e21-0c5d7a8b9f10', deliveryDate: '2026-12-03',
};

interface Op {
  name: string;
  /** Calls per timed round (scaled by BENCH_MICRO_SCALE). */
  n: number;
  sync?: () => unknown;
  async?: () => Promise<unknown>;
  /** The unwrapped original, for the in-process comparison (block only). */
  original?: () => unknown;
}

const ROUNDS = 5;

function timeSync(fn: () => unknown, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

async function timeAsync(fn: () => Promise<unknown>, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

async function measure(op: Op): Promise<number> {
  const n = Math.max(1, Math.round(op.n * SCALE));
  const samples: number[] = [];
  if (op.sync !== undefined) {
    timeSync(op.sync, Math.min(n, 2000));
    for (let r = 0; r < ROUNDS; r++) samples.push(timeSync(op.sync, n));
  } else {
    await timeAsync(op.async!, Math.min(n, 200));
    for (let r = 0; r < ROUNDS; r++) samples.push(await timeAsync(op.async!, n));
  }
  return median(samples);
}

/** Wrapped vs original, alternating rounds in this process: median of per-round differences. */
function wrapperCost(op: Op): number {
  const n = Math.max(1, Math.round(op.n * SCALE));
  timeSync(op.sync!, Math.min(n, 2000));
  timeSync(op.original!, Math.min(n, 2000));
  const diffs: number[] = [];
  for (let r = 0; r < ROUNDS * 3; r++) {
    const a = timeSync(op.original!, n);
    const b = timeSync(op.sync!, n);
    diffs.push(b - a);
  }
  return median(diffs);
}

async function setup(): Promise<{ ops: Op[]; close: () => Promise<void> }> {
  const ops: Op[] = [];
  let sink = 0;
  ops.push({
    name: 'fs.existsSync (missing file)',
    n: 20_000,
    sync: () => fs.existsSync(missing),
    original: () => originals.existsSync(missing),
  });
  ops.push({
    name: 'fs.readFileSync (4 KB)',
    n: 5_000,
    sync: () => fs.readFileSync(file),
    original: () => originals.readFileSync(file),
  });
  ops.push({ name: 'fs.promises.readFile (4 KB)', n: 500, async: () => fs.promises.readFile(file) });
  // Not a sink: hooked to carry a '..' input through (hooks/path.ts); called often by frameworks and module loading.
  ops.push({
    name: "path.join(dir, 'img/logo.png') (no '..')",
    n: 50_000,
    sync: () => path.join(dir, 'img/logo.png'),
    original: () => originals.join(dir, 'img/logo.png'),
  });
  ops.push({
    name: "new Function('a', 'return a + 1')",
    n: 5_000,
    sync: () => new Function('a', 'return a + 1'),
    original: () => new originals.Function('a', 'return a + 1'),
  });
  ops.push({
    name: "spawnSync('/bin/true')",
    n: 10,
    sync: () => cp.spawnSync('/bin/true'),
    original: () => originals.spawnSync('/bin/true'),
  });
  // String-built SQL with a value from the request, as the realistic route does.
  const sql = `SELECT id, name FROM users WHERE email = '${EMAIL}' AND status = 'active'`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(':memory:');
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, status TEXT)');
  db.prepare('INSERT INTO users (name, email, status) VALUES (?, ?, ?)').run('Alice', EMAIL, 'active');
  ops.push({ name: 'better-sqlite3 prepare(sql).get()', n: 2_000, sync: () => db.prepare(sql).get() });
  let closePg = async (): Promise<void> => undefined;
  if (pgTable !== undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require('pg') as typeof import('pg');
    const client = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await client.connect();
    const pgSql = `SELECT id, name FROM ${pgTable} WHERE email = '${EMAIL}' AND status = 'active'`;
    ops.push({ name: 'pg client.query(sql) (local server)', n: 200, async: () => client.query(pgSql) });
    closePg = () => client.end();
  }
  if (upstreamPort > 0) {
    const url = `http://127.0.0.1:${upstreamPort}/rates?currency=EUR`;
    ops.push({ name: 'fetch (loopback, keep-alive)', n: 50, async: () => fetch(url).then((r) => r.arrayBuffer()) });
  }
  if (sink < 0) console.log(sink++);
  return {
    ops,
    close: async () => {
      db.close();
      await closePg();
    },
  };
}

async function main(): Promise<void> {
  const { ops, close } = await setup();
  const out: Record<string, { outside: number; inside: number; wrapper?: number }> = {};
  // Outside first: no scope has been opened yet, as in a process before its first request.
  for (const op of ops) out[op.name] = { outside: await measure(op), inside: NaN };
  if (mode === 'block') for (const op of ops) if (op.original !== undefined) out[op.name]!.wrapper = wrapperCost(op);
  await palisade.untrusted('body', BODY, async () => {
    for (const op of ops) out[op.name]!.inside = await measure(op);
  });
  await close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
