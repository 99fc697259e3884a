import t from 'tap';
import { isPalisadeBlockedError } from '../../lib/index';
import { MYSQL, PG, needServer } from '../helpers/db';
import { alternate, blocksNamePackage, withPackage, type Case } from '../helpers/packages';

// The SQL drivers under package scopes: pg and mysql/mysql2 against the real PostgreSQL and MariaDB, the two
// sqlite drivers in memory. Every entry point that judges at call time reads its caller's call sites in its own
// wrapper rather than in check() (judgedQuery in hooks/sql-common.ts): the app's query is the app's, and the
// same query made from a package's file is the package's, which has no grant.
const PKG = 'query-helper';
const SQL = 'SELECT 1 AS n';
// One function per entry point, each on a line of its own (see blocksNamePackage).
const CALLS = {
  pgPool: '(db) => db.query(SQL)',
  pgClient: '(db) => db.query(SQL)',
  pgClientCallback: '(db, cb) => db.query(SQL, cb)',
  mysqlConnection: '(db, cb) => db.query(SQL, cb)',
  mysqlPool: '(db, cb) => db.query(SQL, cb)',
  mysqlNamespace: '(db, cb) => db.query(SQL, cb)',
  m2Query: '(db, cb) => db.query(SQL, cb)',
  m2Execute: '(db, cb) => db.execute(SQL, cb)',
  m2Prepare: '(db, cb) => db.prepare(SQL, cb)',
  m2PoolQuery: '(db, cb) => db.query(SQL, cb)',
  m2PoolExecute: '(db, cb) => db.execute(SQL, cb)',
  m2QueryP: '(db) => db.query(SQL)',
  m2ExecuteP: '(db) => db.execute(SQL)',
  m2PrepareP: '(db) => db.prepare(SQL)',
  m2PoolQueryP: '(db) => db.query(SQL)',
  m2PoolExecuteP: '(db) => db.execute(SQL)',
  bsPrepare: '(db) => db.prepare(SQL)',
  bsExec: '(db) => db.exec(SQL)',
  bsPragma: "(db) => db.pragma('user_version')",
  s3Run: '(db, cb) => db.run(SQL, cb)',
  s3Get: '(db, cb) => db.get(SQL, cb)',
  s3All: '(db, cb) => db.all(SQL, cb)',
  s3Each: '(db, cb) => db.each(SQL, () => {}, cb)',
  s3Map: '(db, cb) => db.map(SQL, cb)',
  s3Exec: '(db, cb) => db.exec(SQL, cb)',
  s3Prepare: '(db, cb) => db.prepare(SQL, cb)',
} as const;
// `other`: better-sqlite3's pragma.
const { log, pkgDir } = withPackage(PKG, ['  sql.query:', '    - { id: app-selects, kinds: [select, other] }'], [
  `const SQL = '${SQL}';`,
  ...Object.entries(CALLS).map(([name, body]) => `exports.${name} = ${body};`),
]);
/* eslint-disable @typescript-eslint/no-require-imports */
const pg = require('pg') as typeof import('pg');
const mysql = require('mysql') as typeof import('mysql');
const mysql2 = require('mysql2') as typeof import('mysql2');
const mysql2p = require('mysql2/promise') as typeof import('mysql2/promise');
const BetterSqlite3 = require('better-sqlite3') as typeof import('better-sqlite3');
const sqlite3 = require('sqlite3') as typeof import('sqlite3');
type Cb = (err: unknown, res?: unknown) => void;
const helper = require(pkgDir) as Record<keyof typeof CALLS, (db: object, cb?: Cb) => unknown>;
/* eslint-enable @typescript-eslint/no-require-imports */

type Rows = Array<{ n: number }>;
const ROWS = 'rows 1';
const failed = (err: unknown): string => (isPalisadeBlockedError(err) ? 'blocked' : `error ${String(err)}`);

/** What a call answered: 'rows 1', 'blocked' or the error. `rowsOf` finds the rows in the driver's result. */
function settled(p: unknown, rowsOf: (res: unknown) => Rows): Promise<string> {
  return (p as Promise<unknown>).then((res) => `rows ${rowsOf(res)[0]!.n}`, failed);
}

/**
 * The same through a callback. A prepared statement is executed to show it works, and left open: mysql2
 * caches it on the connection by its text and hands it out again (execute reuses it too), closed or not.
 */
function called(call: (cb: Cb) => void, rowsOf: (res: unknown) => Rows, prepared = false): Promise<string> {
  return new Promise((resolve) => {
    call((err, res) => {
      if (err) return resolve(failed(err));
      if (!prepared) return resolve(`rows ${rowsOf(res)[0]!.n}`);
      (res as { execute(v: unknown[], cb: Cb): void }).execute([], (e, rows) => resolve(e ? failed(e) : `rows ${(rows as Rows)[0]!.n}`));
    });
  });
}

const pgRows = (res: unknown): Rows => (res as { rows: Rows }).rows;
const mysqlRows = (res: unknown): Rows => res as Rows;
/** mysql2/promise answers [rows, fields]. */
const pairRows = (res: unknown): Rows => (res as [Rows])[0];

async function preparedP(p: unknown): Promise<string> {
  try {
    const stmt = (await p) as { execute(v: unknown[]): Promise<[Rows]> };
    const [rows] = await stmt.execute([]);
    return `rows ${rows[0]!.n}`;
  } catch (err) {
    return failed(err);
  }
}

t.test('pg', async (t) => {
  if (!(await needServer(t, 'pg'))) return;
  const pool = new pg.Pool({ ...PG, max: 2 });
  t.teardown(() => pool.end());
  const client = new pg.Client(PG);
  await client.connect();
  t.teardown(() => client.end());
  const cases: Case[] = [
    { name: 'Pool#query', module: 'pg', fn: 'Pool.query', entry: pg.Pool.prototype.query,
      app: () => settled(pool.query(SQL), pgRows),
      pkg: () => settled(helper.pgPool(pool), pgRows) },
    { name: 'Client#query', module: 'pg', fn: 'Client.query', entry: pg.Client.prototype.query,
      app: () => settled(client.query(SQL), pgRows),
      pkg: () => settled(helper.pgClient(client), pgRows) },
    { name: 'Client#query, callback', module: 'pg', fn: 'Client.query', entry: pg.Client.prototype.query,
      app: () => called((cb) => client.query(SQL, cb), pgRows),
      pkg: () => called((cb) => helper.pgClientCallback(client, cb), pgRows) },
  ];
  await alternate(t, cases, ROWS);
  t.equal(await cases[1]!.app(), ROWS, 'the connection is still usable');
  blocksNamePackage(t, log, 'sql.query', PKG, cases);
});

t.test('mysql', async (t) => {
  if (!(await needServer(t, 'mysql'))) return;
  const conn = mysql.createConnection({ ...MYSQL });
  t.teardown(() => new Promise<void>((r) => conn.end(() => r())));
  const pool = mysql.createPool({ ...MYSQL, connectionLimit: 2 });
  t.teardown(() => new Promise<void>((r) => pool.end(() => r())));
  const cluster = mysql.createPoolCluster();
  cluster.add('main', { ...MYSQL, connectionLimit: 2 });
  t.teardown(() => new Promise<void>((r) => cluster.end(() => r())));
  const ns = cluster.of('*');
  const cases: Case[] = [
    { name: 'Connection#query', module: 'mysql', fn: 'Connection.query', entry: conn.query,
      app: () => called((cb) => conn.query(SQL, cb), mysqlRows),
      pkg: () => called((cb) => helper.mysqlConnection(conn, cb), mysqlRows) },
    { name: 'Pool#query', module: 'mysql', fn: 'Pool.query', entry: pool.query,
      app: () => called((cb) => pool.query(SQL, cb), mysqlRows),
      pkg: () => called((cb) => helper.mysqlPool(pool, cb), mysqlRows) },
    { name: 'PoolNamespace#query', module: 'mysql', fn: 'PoolNamespace.query', entry: ns.query,
      app: () => called((cb) => ns.query(SQL, cb), mysqlRows),
      pkg: () => called((cb) => helper.mysqlNamespace(ns, cb), mysqlRows) },
  ];
  await alternate(t, cases, ROWS);
  t.equal(await cases[0]!.app(), ROWS, 'the connection is still usable');
  blocksNamePackage(t, log, 'sql.query', PKG, cases);
});

t.test('mysql2, callback and promise APIs', async (t) => {
  if (!(await needServer(t, 'mysql'))) return;
  const conn = mysql2.createConnection({ ...MYSQL });
  t.teardown(() => new Promise<void>((r) => conn.end(() => r())));
  const pool = mysql2.createPool({ ...MYSQL, connectionLimit: 2 });
  t.teardown(() => new Promise<void>((r) => pool.end(() => r())));
  const pconn = await mysql2p.createConnection({ ...MYSQL });
  t.teardown(() => pconn.end());
  const ppool = mysql2p.createPool({ ...MYSQL, connectionLimit: 2 });
  t.teardown(() => ppool.end());
  // The promise API calls the callback classes' methods, whose wrappers read the stack.
  const cases: Case[] = [
    { name: 'Connection#query', module: 'mysql2', fn: 'Connection.query', entry: conn.query,
      app: () => called((cb) => conn.query(SQL, cb), mysqlRows),
      pkg: () => called((cb) => helper.m2Query(conn, cb), mysqlRows) },
    { name: 'Connection#execute', module: 'mysql2', fn: 'Connection.execute', entry: conn.execute,
      app: () => called((cb) => conn.execute(SQL, cb), mysqlRows),
      pkg: () => called((cb) => helper.m2Execute(conn, cb), mysqlRows) },
    { name: 'Connection#prepare', module: 'mysql2', fn: 'Connection.prepare', entry: conn.prepare,
      app: () => called((cb) => conn.prepare(SQL, cb), mysqlRows, true),
      pkg: () => called((cb) => helper.m2Prepare(conn, cb), mysqlRows, true) },
    { name: 'Pool#query', module: 'mysql2', fn: 'Pool.query', entry: pool.query,
      app: () => called((cb) => pool.query(SQL, cb), mysqlRows),
      pkg: () => called((cb) => helper.m2PoolQuery(pool, cb), mysqlRows) },
    { name: 'Pool#execute', module: 'mysql2', fn: 'Pool.execute', entry: pool.execute,
      app: () => called((cb) => pool.execute(SQL, cb), mysqlRows),
      pkg: () => called((cb) => helper.m2PoolExecute(pool, cb), mysqlRows) },
    { name: 'promise Connection#query', module: 'mysql2', fn: 'Connection.query', entry: conn.query,
      app: () => settled(pconn.query(SQL), pairRows),
      pkg: () => settled(helper.m2QueryP(pconn), pairRows) },
    { name: 'promise Connection#execute', module: 'mysql2', fn: 'Connection.execute', entry: conn.execute,
      app: () => settled(pconn.execute(SQL), pairRows),
      pkg: () => settled(helper.m2ExecuteP(pconn), pairRows) },
    { name: 'promise Connection#prepare', module: 'mysql2', fn: 'Connection.prepare', entry: conn.prepare,
      app: () => preparedP(pconn.prepare(SQL)),
      pkg: () => preparedP(helper.m2PrepareP(pconn)) },
    { name: 'promise Pool#query', module: 'mysql2', fn: 'Pool.query', entry: pool.query,
      app: () => settled(ppool.query(SQL), pairRows),
      pkg: () => settled(helper.m2PoolQueryP(ppool), pairRows) },
    { name: 'promise Pool#execute', module: 'mysql2', fn: 'Pool.execute', entry: pool.execute,
      app: () => settled(ppool.execute(SQL), pairRows),
      pkg: () => settled(helper.m2PoolExecuteP(ppool), pairRows) },
  ];
  await alternate(t, cases, ROWS);
  t.equal(await cases[0]!.app(), ROWS, 'the connection is still usable');
  blocksNamePackage(t, log, 'sql.query', PKG, cases);
});

/** A synchronous call's outcome: 'ok', 'blocked' (thrown) or the error. */
function ran(call: () => unknown): Promise<string> {
  try {
    call();
    return Promise.resolve('ok');
  } catch (err) {
    return Promise.resolve(failed(err));
  }
}

/** A callback's outcome: 'ok', 'blocked' or the error. */
function answered(call: (cb: Cb) => void): Promise<string> {
  return new Promise((resolve) => call((err) => resolve(err ? failed(err) : 'ok')));
}

t.test('better-sqlite3', async (t) => {
  const db = new BetterSqlite3(':memory:');
  t.teardown(() => db.close());
  const entry = BetterSqlite3.prototype;
  const cases: Case[] = [
    { name: 'Database#prepare', module: 'better-sqlite3', fn: 'Database.prepare', entry: entry.prepare,
      app: () => ran(() => db.prepare(SQL).get()),
      pkg: () => ran(() => (helper.bsPrepare(db) as { get(): unknown }).get()) },
    { name: 'Database#exec', module: 'better-sqlite3', fn: 'Database.exec', entry: entry.exec,
      app: () => ran(() => db.exec(SQL)),
      pkg: () => ran(() => helper.bsExec(db)) },
    { name: 'Database#pragma', module: 'better-sqlite3', fn: 'Database.pragma', entry: entry.pragma,
      app: () => ran(() => db.pragma('user_version')),
      pkg: () => ran(() => helper.bsPragma(db)) },
  ];
  await alternate(t, cases, 'ok');
  blocksNamePackage(t, log, 'sql.query', PKG, cases);
});

t.test('sqlite3', async (t) => {
  const db = new sqlite3.Database(':memory:');
  t.teardown(() => new Promise<void>((r) => db.close(() => r())));
  const entry = sqlite3.Database.prototype;
  const cases: Case[] = [
    { name: 'Database#run', module: 'sqlite3', fn: 'Database.run', entry: entry.run,
      app: () => answered((cb) => db.run(SQL, cb)),
      pkg: () => answered((cb) => helper.s3Run(db, cb)) },
    { name: 'Database#get', module: 'sqlite3', fn: 'Database.get', entry: entry.get,
      app: () => answered((cb) => db.get(SQL, cb)),
      pkg: () => answered((cb) => helper.s3Get(db, cb)) },
    { name: 'Database#all', module: 'sqlite3', fn: 'Database.all', entry: entry.all,
      app: () => answered((cb) => db.all(SQL, cb)),
      pkg: () => answered((cb) => helper.s3All(db, cb)) },
    { name: 'Database#each', module: 'sqlite3', fn: 'Database.each', entry: entry.each,
      app: () => answered((cb) => db.each(SQL, () => {}, cb)),
      pkg: () => answered((cb) => helper.s3Each(db, cb)) },
    { name: 'Database#map', module: 'sqlite3', fn: 'Database.map', entry: (entry as unknown as { map: unknown }).map,
      app: () => answered((cb) => (db as unknown as { map(sql: string, cb: Cb): void }).map(SQL, cb)),
      pkg: () => answered((cb) => helper.s3Map(db, cb)) },
    { name: 'Database#exec', module: 'sqlite3', fn: 'Database.exec', entry: entry.exec,
      app: () => answered((cb) => db.exec(SQL, cb)),
      pkg: () => answered((cb) => helper.s3Exec(db, cb)) },
    { name: 'Database#prepare', module: 'sqlite3', fn: 'Database.prepare', entry: entry.prepare,
      app: () => answered((cb) => db.prepare(SQL, cb)),
      pkg: () => answered((cb) => helper.s3Prepare(db, cb)) },
  ];
  await alternate(t, cases, 'ok');
  blocksNamePackage(t, log, 'sql.query', PKG, cases);
});
