import t from 'tap';
import * as path from 'node:path';
import { start, untrusted, isPalisadeBlockedError } from '../../lib/index';
import { agentState } from '../../lib/agent';
import { readEvents, tmpDir } from '../helpers/app';
import { MYSQL, mysqlTable, needServer, uniqueTable } from '../helpers/db';

// mysql (the original driver) in-process, against the real MariaDB:
// Connection#query, Pool#query and PoolCluster namespaces, in callback and
// emitter form. The server's own per-session statement counter proves a
// blocked query never reached it.
const log = path.join(tmpDir(), 'events.log');
start({ mode: 'block', log });
const setMode = (m: 'block' | 'monitor'): void => {
  agentState()!.config.mode = m;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mysql = require('mysql') as typeof import('mysql');

const TAUT = "' OR '1'='1";
const UNION = "x' UNION SELECT 1, user() -- ";
const table = uniqueTable('pal_my1');
const sqlFor = (name: string): string => `SELECT id, name FROM ${table} WHERE name = '${name}'`;
const scoped = <T>(name: string, fn: () => T): T => untrusted('query', { name }, fn);
const events = (): Array<Record<string, any>> => readEvents(log);

type Conn = import('mysql').Connection;
function q(conn: Conn | import('mysql').Pool, sql: string, values?: unknown[]): Promise<any> {
  return new Promise((resolve, reject) => conn.query(sql, values ?? [], (err, rows) => (err ? reject(err) : resolve(rows))));
}
/** Statements the server counted on this session (the counter query itself included). */
async function questions(conn: Conn): Promise<number> {
  const rows = await q(conn, "SHOW SESSION STATUS LIKE 'Questions'");
  return Number(rows[0].Value);
}

t.test('mysql', async (t) => {
  if (!(await needServer(t, 'mysql'))) return;
  const drop = await mysqlTable(table);
  t.teardown(drop);
  const conn = mysql.createConnection({ ...MYSQL });
  t.teardown(() => new Promise<void>((r) => conn.end(() => r())));
  await new Promise<void>((resolve, reject) => conn.connect((e) => (e ? reject(e) : resolve())));

  /** How many statements reach the server while `fn` runs, on top of the counter queries. */
  const reached = async (fn: () => Promise<unknown>): Promise<number> => {
    const a = await questions(conn);
    const b = await questions(conn);
    await fn();
    const c = await questions(conn);
    return c - b - (b - a);
  };

  t.test('the server counter sees an allowed query (the proof can fail)', async (t) => {
    const n = await reached(() => scoped('alice', () => q(conn, sqlFor('alice'))));
    t.equal(n, 1);
  });

  t.test('callback form: error on a later tick, never sent, connection usable', async (t) => {
    let returned = false;
    let err: unknown;
    const n = await reached(async () => {
      err = await new Promise((resolve) => {
        scoped(TAUT, () => conn.query(sqlFor(TAUT), (e: unknown) => {
          t.ok(returned, 'callback runs after query() returned');
          resolve(e);
        }));
        returned = true;
      });
    });
    t.ok(isPalisadeBlockedError(err));
    t.match(err, { kind: 'sql_injection', operation: 'sql.query', statusCode: 403 });
    t.equal(n, 0, 'the server received nothing');
    t.same(await q(conn, sqlFor('bob')), [{ id: 2, name: 'bob' }], 'same connection, next query works');
  });

  t.test('emitter form: Query emits error (when listened) then end', async (t) => {
    const seen: string[] = [];
    let err: unknown;
    const n = await reached(
      () =>
        new Promise<void>((resolve) => {
          const query = scoped(UNION, () => conn.query(sqlFor(UNION)));
          query.on('error', (e) => {
            err = e;
            seen.push('error');
          });
          query.on('result', () => seen.push('result'));
          query.on('end', () => {
            seen.push('end');
            resolve();
          });
        }),
    );
    t.same(seen, ['error', 'end']);
    t.ok(isPalisadeBlockedError(err));
    t.equal(n, 0);
    // No listener, no callback: ends quietly instead of crashing.
    await new Promise<void>((resolve) => scoped(TAUT, () => conn.query(sqlFor(TAUT))).on('end', () => resolve()));
    // The stream() form of the same Query.
    const stream = scoped(TAUT, () => conn.query(sqlFor(TAUT))).stream();
    const streamErr = await new Promise((resolve) => stream.on('error', resolve));
    t.ok(isPalisadeBlockedError(streamErr), 'query.stream() errors');
    t.same(await q(conn, sqlFor('alice')), [{ id: 1, name: 'alice' }]);
  });

  t.test('options object and placeholders', async (t) => {
    const err = await new Promise((resolve) => scoped(TAUT, () => conn.query({ sql: sqlFor(TAUT) }, (e: unknown) => resolve(e))));
    t.ok(isPalisadeBlockedError(err), '{ sql } form');
    for (const attack of [TAUT, UNION, "\\' OR 1=1 -- ", "'; DROP TABLE " + table + '; -- ']) {
      const rows = await scoped(attack, () => q(conn, `SELECT id, name FROM ${table} WHERE name = ?`, [attack]));
      t.same(rows, [], `attack as a ? value is data: ${JSON.stringify(attack)}`);
    }
    const rows = await scoped("o'brien", () => q(conn, `SELECT id, name FROM ${table} WHERE name = ?`, ["o'brien"]));
    t.same(rows, [{ id: 3, name: "o'brien" }]);
  });

  t.test('Pool#query: judged at call time, no connection checked out', async (t) => {
    const pool = mysql.createPool({ ...MYSQL, connectionLimit: 1 });
    t.teardown(() => new Promise<void>((r) => pool.end(() => r())));
    const err = await new Promise((resolve) => scoped(TAUT, () => pool.query(sqlFor(TAUT), (e: unknown) => resolve(e))));
    t.ok(isPalisadeBlockedError(err));
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      const query = scoped(TAUT, () => pool.query(sqlFor(TAUT)));
      query.on('error', () => seen.push('error'));
      query.on('end', () => {
        seen.push('end');
        resolve();
      });
    });
    t.same(seen, ['error', 'end'], 'pool query emitter');
    t.equal((pool as unknown as { _allConnections: unknown[] })._allConnections.length, 0, 'no connection was opened');
    t.same(await scoped('alice', () => q(pool, sqlFor('alice'))), [{ id: 1, name: 'alice' }]);
    t.same(await scoped(TAUT, () => q(pool, `SELECT id FROM ${table} WHERE name = ?`, [TAUT])), []);
  });

  t.test('PoolCluster namespace', async (t) => {
    const cluster = mysql.createPoolCluster();
    cluster.add('main', { ...MYSQL, connectionLimit: 1 });
    t.teardown(() => new Promise<void>((r) => cluster.end(() => r())));
    const ns = cluster.of('*');
    const err = await new Promise((resolve) => scoped(TAUT, () => ns.query(sqlFor(TAUT), (e: unknown) => resolve(e))));
    t.ok(isPalisadeBlockedError(err));
    const rows = await new Promise((resolve, reject) => scoped('bob', () => ns.query(sqlFor('bob'), (e: unknown, r: unknown) => (e ? reject(e) : resolve(r)))));
    t.same(rows, [{ id: 2, name: 'bob' }]);
  });

  t.test('monitor mode: runs, and one event per pool query', async (t) => {
    setMode('monitor');
    t.teardown(() => setMode('block'));
    const pool = mysql.createPool({ ...MYSQL, connectionLimit: 1 });
    t.teardown(() => new Promise<void>((r) => pool.end(() => r())));
    const before = events().length;
    const rows = await scoped(TAUT, () => q(pool, sqlFor(TAUT)));
    t.equal(rows.length, 3, 'the tautology really leaks all rows');
    const evs = events().slice(before);
    t.equal(evs.length, 1, 'judged once (pool), not again at the connection');
    t.match(evs[0], { action: 'report', kind: 'sql_injection', resource: { driver: 'mysql', dialect: 'mysql' } });
  });

  t.test('event fields', async (t) => {
    await new Promise((resolve) => scoped(TAUT, () => conn.query(sqlFor(TAUT), resolve)));
    const ev = events().filter((e) => e.action === 'block').pop();
    t.match(ev, {
      kind: 'sql_injection',
      operation: 'sql.query',
      input: { source: 'query.name', value: TAUT },
      resource: { driver: 'mysql', dialect: 'mysql', kind: 'select', multiStatement: false, db: `${MYSQL.host}:${MYSQL.port}/${MYSQL.database}` },
    });
  });
});
