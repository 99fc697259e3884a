import * as net from 'node:net';
import * as path from 'node:path';

/**
 * Real databases for the SQL tests: connection settings, an availability
 * probe, and unique table names. Without CI=true a missing server skips the
 * test with the reason printed; with CI=true it fails, because CI promises
 * the servers (see DEVELOPERS.md).
 *
 * Drivers are required lazily (inside functions) so that in-process tests
 * can call `start()` before any driver loads: the mysql and mysql2 hooks
 * patch class files as they load.
 */

export const PG = {
  host: process.env.PALISADE_TEST_PG_HOST ?? '127.0.0.1',
  port: Number(process.env.PALISADE_TEST_PG_PORT ?? 5432),
  user: process.env.PALISADE_TEST_PG_USER ?? 'postgres',
  password: process.env.PALISADE_TEST_PG_PASSWORD ?? '',
  database: process.env.PALISADE_TEST_PG_DATABASE ?? 'test',
};

export const MYSQL = {
  host: process.env.PALISADE_TEST_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.PALISADE_TEST_MYSQL_PORT ?? 3306),
  user: process.env.PALISADE_TEST_MYSQL_USER ?? 'root',
  password: process.env.PALISADE_TEST_MYSQL_PASSWORD ?? '',
  database: process.env.PALISADE_TEST_MYSQL_DATABASE ?? 'test',
};

export type Server = 'pg' | 'mysql';

interface TestLike {
  fail(message: string): unknown;
  pass(message: string, extra: { skip: string }): unknown;
  comment(...message: unknown[]): unknown;
}

/** undefined when a TCP connection to the server succeeds, else why not. */
export function probe(server: Server, ms = 2000): Promise<string | undefined> {
  const { host, port } = server === 'pg' ? PG : MYSQL;
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (reason: string | undefined): void => {
      sock.destroy();
      resolve(reason);
    };
    sock.setTimeout(ms, () => done(`no answer within ${ms} ms`));
    sock.once('connect', () => done(undefined));
    sock.once('error', (err) => done(err.message));
  });
}

/**
 * true when the server is there. Otherwise: CI=true → a failing assertion;
 * elsewhere → a skip with the reason, printed. Callers return when false.
 */
export async function needServer(t: TestLike, server: Server): Promise<boolean> {
  const reason = await probe(server);
  if (reason === undefined) return true;
  const { host, port } = server === 'pg' ? PG : MYSQL;
  const msg = `${server === 'pg' ? 'PostgreSQL' : 'MariaDB/MySQL'} not reachable at ${host}:${port} (${reason})`;
  if (process.env.CI === 'true') {
    t.fail(`CI=true requires the database: ${msg}`);
  } else {
    process.stderr.write(`# SKIP ${msg}\n`);
    t.comment(`skipping: ${msg}`);
    t.pass(msg, { skip: msg });
  }
  return false;
}

let seq = 0;
/** A table name no other test (or concurrent run) uses: lowercase, safe unquoted in every dialect. */
export function uniqueTable(prefix = 'pal'): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${seq++}`.toLowerCase();
}

/* eslint-disable @typescript-eslint/no-require-imports */

type PgClient = {
  connect(): Promise<unknown>;
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
};
type MysqlPromiseConn = {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
  end(): Promise<void>;
};

/** A fresh pg client (the app's driver, loaded on first use). */
export async function pgClient(extra: Record<string, unknown> = {}): Promise<PgClient> {
  const pg = require('pg') as { Client: new (c: object) => PgClient };
  const c = new pg.Client({ ...PG, ...extra });
  await c.connect();
  return c;
}

/** A mysql2 promise connection used for setup and inspection. */
export async function mysqlAdmin(): Promise<MysqlPromiseConn> {
  const mysql = require('mysql2/promise') as { createConnection(c: object): Promise<MysqlPromiseConn> };
  return mysql.createConnection({ ...MYSQL });
}

export const ROWS: ReadonlyArray<readonly [number, string]> = [
  [1, 'alice'],
  [2, 'bob'],
  [3, "o'brien"],
];

/** `<table>(id, name)` with ROWS, on PostgreSQL. Returns a dropper. */
export async function pgTable(table: string): Promise<() => Promise<void>> {
  const c = await pgClient();
  await c.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, name text NOT NULL)`);
  for (const [id, name] of ROWS) await c.query(`INSERT INTO ${table} (id, name) VALUES ($1, $2)`, [id, name]);
  return async () => {
    await c.query(`DROP TABLE IF EXISTS ${table}`);
    await c.end();
  };
}

/** `<table>(id, name)` with ROWS, on MariaDB/MySQL. Returns a dropper. */
export async function mysqlTable(table: string): Promise<() => Promise<void>> {
  const c = await mysqlAdmin();
  await c.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, name VARCHAR(200) NOT NULL)`);
  for (const [id, name] of ROWS) await c.query(`INSERT INTO ${table} (id, name) VALUES (?, ?)`, [id, name]);
  return async () => {
    await c.query(`DROP TABLE IF EXISTS ${table}`);
    await c.end();
  };
}

/** A SQLite file in `dir` holding `<table>(id, name)` with ROWS (written with better-sqlite3). */
export function sqliteFile(dir: string, table: string): string {
  const file = path.join(dir, `${table}.db`);
  const Database = require('better-sqlite3') as new (f: string) => {
    exec(s: string): unknown;
    prepare(s: string): { run(...a: unknown[]): unknown };
    close(): unknown;
  };
  const db = new Database(file);
  db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`);
  const ins = db.prepare(`INSERT INTO ${table} (id, name) VALUES (?, ?)`);
  for (const [id, name] of ROWS) ins.run(id, name);
  db.close();
  return file;
}
