import t from 'tap';
import * as path from 'node:path';
import { start, untrusted, isPalisadeBlockedError } from '../../lib/index';
import { agentState } from '../../lib/agent';
import { readEvents, tmpDir } from '../helpers/app';
import { MYSQL, mysqlTable, needServer, uniqueTable } from '../helpers/db';

// mysql2 in-process, against the real MariaDB: query, execute and prepare
// on connections; query and execute on pools; the promise API. The
// promise entry point is required first, alone, to prove an app that never
// requires 'mysql2' itself is covered. The server's own per-session
// statement counter proves a blocked query never reached it.
const log = path.join(tmpDir(), 'events.log');
start({ mode: 'block', log });
const setMode = (m: 'block' | 'monitor'): void => {
  agentState()!.config.mode = m;
};
/* eslint-disable @typescript-eslint/no-require-imports */
const mysqlp = require('mysql2/promise') as typeof import('mysql2/promise');
const mysql = require('mysql2') as typeof import('mysql2');
/* eslint-enable @typescript-eslint/no-require-imports */

const TAUT = "' OR '1'='1";
const UNION = "x' UNION SELECT 1, user() -- ";
const table = uniqueTable('pal_my2');
const sqlFor = (name: string): string => `SELECT id, name FROM ${table} WHERE name = '${name}'`;
const scoped = <T>(name: string, fn: () => T): T => untrusted('query', { name }, fn);
const events = (): Array<Record<string, any>> => readEvents(log);

t.test('mysql2', async (t) => {
  if (!(await needServer(t, 'mysql'))) return;
  const drop = await mysqlTable(table);
  t.teardown(drop);

  t.test('promise API (mysql2/promise): rejected promises, never sent, connection usable', async (t) => {
    const conn = await mysqlp.createConnection({ ...MYSQL });
    t.teardown(() => conn.end());
    const questions = async (): Promise<number> => {
      const [rows] = await conn.query("SHOW SESSION STATUS LIKE 'Questions'");
      return Number((rows as Array<{ Value: string }>)[0]!.Value);
    };
    const reached = async (fn: () => Promise<unknown>): Promise<number> => {
      const a = await questions();
      const b = await questions();
      await fn();
      const c = await questions();
      return c - b - (b - a);
    };
    t.equal(await reached(() => scoped('alice', () => conn.query(sqlFor('alice')))), 1, 'the counter sees an allowed query');
    t.equal(await reached(() => scoped('alice', () => conn.execute(`SELECT id FROM ${table} WHERE name = ?`, ['alice']))) > 0, true, 'and an execute');

    let n = await reached(() => t.rejects(scoped(TAUT, () => conn.query(sqlFor(TAUT))), { code: 'ERR_PALISADE_BLOCKED', kind: 'sql_injection' }));
    t.equal(n, 0, 'query: nothing reached the server');
    n = await reached(() => t.rejects(scoped(UNION, () => conn.execute(sqlFor(UNION))), { code: 'ERR_PALISADE_BLOCKED' }));
    t.equal(n, 0, 'execute: nothing reached the server');
    n = await reached(() => t.rejects(scoped(TAUT, () => conn.prepare(sqlFor(TAUT))), { code: 'ERR_PALISADE_BLOCKED' }));
    t.equal(n, 0, 'prepare: nothing reached the server');
    n = await reached(() => t.rejects(scoped(TAUT, () => conn.query({ sql: sqlFor(TAUT) })), { code: 'ERR_PALISADE_BLOCKED' }));
    t.equal(n, 0, '{ sql } form');

    const [rows] = await conn.query(sqlFor('bob'));
    t.same(rows, [{ id: 2, name: 'bob' }], 'same connection, next query works');
    for (const attack of [TAUT, UNION, "\\' OR 1=1 -- "]) {
      const [q1] = await scoped(attack, () => conn.query(`SELECT id FROM ${table} WHERE name = ?`, [attack]));
      t.same(q1, [], `query with ? value: ${JSON.stringify(attack)}`);
      const [e1] = await scoped(attack, () => conn.execute(`SELECT id FROM ${table} WHERE name = ?`, [attack]));
      t.same(e1, [], `execute with bound value: ${JSON.stringify(attack)}`);
    }
  });

  t.test('promise pool: query and execute reject; no connection checked out', async (t) => {
    const pool = mysqlp.createPool({ ...MYSQL, connectionLimit: 1 });
    t.teardown(() => pool.end());
    await t.rejects(scoped(TAUT, () => pool.query(sqlFor(TAUT))), { code: 'ERR_PALISADE_BLOCKED' });
    await t.rejects(scoped(TAUT, () => pool.execute(sqlFor(TAUT))), { code: 'ERR_PALISADE_BLOCKED' });
    await t.rejects(scoped(TAUT, () => pool.execute(sqlFor(TAUT), [])), { code: 'ERR_PALISADE_BLOCKED' });
    const core = (pool as unknown as { pool: { _allConnections: { length: number } } }).pool;
    t.equal(core._allConnections.length, 0, 'the pool never opened a connection for them');
    const [ok] = await scoped('alice', () => pool.query(sqlFor('alice')));
    t.same(ok, [{ id: 1, name: 'alice' }]);
    const [ex] = await scoped(TAUT, () => pool.execute(`SELECT id FROM ${table} WHERE name = ?`, [TAUT]));
    t.same(ex, []);
    const [ex2] = await scoped('bob', () => pool.execute(`SELECT id FROM ${table} WHERE name = 'bob'`));
    t.same(ex2, [{ id: 2 }], 'pool execute without values still works (string rewritten to { sql })');
    const c = await pool.getConnection();
    await t.rejects(scoped(TAUT, () => c.query(sqlFor(TAUT))), { code: 'ERR_PALISADE_BLOCKED' });
    const [after] = await c.query(sqlFor('bob'));
    t.same(after, [{ id: 2, name: 'bob' }], 'checked-out connection still usable');
    c.release();
  });

  t.test('callback API: connection query/execute/prepare, errors on a later tick; Query emitter', async (t) => {
    const conn = mysql.createConnection({ ...MYSQL });
    t.teardown(() => new Promise<void>((r) => conn.end(() => r())));
    for (const fn of ['query', 'execute'] as const) {
      let returned = false;
      const err = await new Promise((resolve) => {
        scoped(TAUT, () => (conn[fn] as (s: string, cb: (e: unknown) => void) => unknown)(sqlFor(TAUT), (e) => {
          t.ok(returned, `${fn}: callback after return`);
          resolve(e);
        }));
        returned = true;
      });
      t.ok(isPalisadeBlockedError(err), `${fn} callback gets the block`);
    }
    const perr = await new Promise((resolve) => scoped(TAUT, () => conn.prepare(sqlFor(TAUT), (e) => resolve(e))));
    t.ok(isPalisadeBlockedError(perr), 'prepare callback gets the block');

    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      const q = scoped(UNION, () => conn.query(sqlFor(UNION)));
      q.on('error', (e) => seen.push(isPalisadeBlockedError(e) ? 'error' : 'other'));
      q.on('result', () => seen.push('result'));
      q.on('end', () => {
        seen.push('end');
        resolve();
      });
    });
    t.same(seen, ['error', 'end'], "emitter form: 'error' then 'end'");
    await new Promise<void>((resolve) => scoped(TAUT, () => conn.query(sqlFor(TAUT))).on('end', () => resolve()));
    t.pass('no listener: ends without crashing');
    const stream = scoped(TAUT, () => conn.query(sqlFor(TAUT))).stream();
    t.ok(isPalisadeBlockedError(await new Promise((resolve) => stream.on('error', resolve))), 'query.stream() errors');
    const rows = await new Promise((resolve, reject) => conn.query(sqlFor('alice'), (e, r) => (e ? reject(e) : resolve(r))));
    t.same(rows, [{ id: 1, name: 'alice' }], 'connection usable');
  });

  t.test('callback pool: query and execute', async (t) => {
    const pool = mysql.createPool({ ...MYSQL, connectionLimit: 1 });
    t.teardown(() => new Promise<void>((r) => pool.end(() => r())));
    const e1 = await new Promise((resolve) => scoped(TAUT, () => pool.query(sqlFor(TAUT), (e) => resolve(e))));
    t.ok(isPalisadeBlockedError(e1));
    const e2 = await new Promise((resolve) => scoped(TAUT, () => pool.execute(sqlFor(TAUT), (e) => resolve(e))));
    t.ok(isPalisadeBlockedError(e2));
    const rows = await new Promise((resolve, reject) => scoped('bob', () => pool.query(sqlFor('bob'), (e, r) => (e ? reject(e) : resolve(r)))));
    t.same(rows, [{ id: 2, name: 'bob' }]);
  });

  t.test('monitor mode: runs; pool query and pool execute are judged once each', async (t) => {
    setMode('monitor');
    t.teardown(() => setMode('block'));
    const pool = mysqlp.createPool({ ...MYSQL, connectionLimit: 1 });
    t.teardown(() => pool.end());
    let before = events().length;
    const [rows] = await scoped(TAUT, () => pool.query(sqlFor(TAUT)));
    t.equal((rows as unknown[]).length, 3, 'the tautology really leaks all rows');
    t.equal(events().length - before, 1, 'one event for pool.query');
    before = events().length;
    const [rows2] = await scoped(TAUT, () => pool.execute(sqlFor(TAUT)));
    t.equal((rows2 as unknown[]).length, 3);
    t.equal(events().length - before, 1, 'one event for pool.execute');
    t.match(events().pop(), { action: 'report', resource: { driver: 'mysql2', dialect: 'mysql' } });
  });

  t.test('event fields', async (t) => {
    const conn = await mysqlp.createConnection({ ...MYSQL });
    t.teardown(() => conn.end());
    await t.rejects(scoped(TAUT, () => conn.execute(sqlFor(TAUT))));
    const ev = events().filter((e) => e.action === 'block').pop();
    t.match(ev, {
      kind: 'sql_injection',
      operation: 'sql.query',
      input: { source: 'query.name', value: TAUT },
      resource: { driver: 'mysql2', dialect: 'mysql', kind: 'select', multiStatement: false, db: `${MYSQL.host}:${MYSQL.port}/${MYSQL.database}` },
    });
  });
});
