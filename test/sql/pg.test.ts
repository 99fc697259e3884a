import t from 'tap';
import * as path from 'node:path';
import { EventEmitter } from 'node:events';
import { start, untrusted, isPalisadeBlockedError } from '../../lib/index';
import { agentState } from '../../lib/agent';
import { sqlBuildCount } from '../../hooks/sql-common';
import { readEvents, tmpDir } from '../helpers/app';
import { needServer, pgClient, pgTable, uniqueTable, PG } from '../helpers/db';

// pg in-process, against the real PostgreSQL: every calling convention of
// Client#query and Pool#query, blocked in the convention the caller used,
// never sent to the server, and the connection still usable afterwards.
const log = path.join(tmpDir(), 'events.log');
start({ mode: 'block', log });
const setMode = (m: 'block' | 'monitor'): void => {
  agentState()!.config.mode = m;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = require('pg') as typeof import('pg');

const TAUT = "' OR '1'='1";
const table = uniqueTable('pal_pg');
const sqlFor = (name: string): string => `SELECT id, name FROM ${table} WHERE name = '${name}'`;
const scoped = <T>(name: string, fn: () => T): T => untrusted('query', { name }, fn);
const events = (): Array<Record<string, any>> => readEvents(log);

t.test('pg', async (t) => {
  if (!(await needServer(t, 'pg'))) return;
  const drop = await pgTable(table);
  t.teardown(drop);
  const client = new pg.Client(PG);
  await client.connect();
  t.teardown(() => client.end());
  const backendPid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  const watcher = await pgClient();
  t.teardown(() => watcher.end());
  /** The last statement the server received on `client`'s backend, from the server itself. */
  const lastSeen = async (): Promise<string> =>
    String((await watcher.query('SELECT query FROM pg_stat_activity WHERE pid = $1', [backendPid])).rows[0]!.query);

  t.test('allowed: benign input concatenated into the text', async (t) => {
    const r = await scoped('alice', () => client.query(sqlFor('alice')));
    t.same(r.rows, [{ id: 1, name: 'alice' }]);
  });

  t.test('callback form: error on a later tick, nothing sent, connection usable', async (t) => {
    const before = await client.query(`SELECT 'marker-cb' AS m`);
    t.equal(before.rows[0].m, 'marker-cb');
    let returned = false;
    const { err, ret } = await new Promise<{ err: unknown; ret: unknown }>((resolve) => {
      let ret: unknown;
      ret = scoped(TAUT, () =>
        client.query(sqlFor(TAUT), (err: Error | null) => {
          t.ok(returned, 'callback runs after query() returned');
          resolve({ err, ret });
        }),
      );
      returned = true;
      void ret;
    });
    t.ok(isPalisadeBlockedError(err), 'callback gets PalisadeBlockedError');
    t.match(err, { code: 'ERR_PALISADE_BLOCKED', statusCode: 403, kind: 'sql_injection', operation: 'sql.query' });
    t.equal(ret, undefined, 'callback form returns undefined, as pg does');
    t.equal(await lastSeen(), `SELECT 'marker-cb' AS m`, 'server never saw the attack');
    const after = await client.query(sqlFor('bob'));
    t.same(after.rows, [{ id: 2, name: 'bob' }], 'next query on the same client works');
  });

  t.test('promise form and config object: rejected promise', async (t) => {
    await client.query(`SELECT 'marker-promise' AS m`);
    await t.rejects(scoped(TAUT, () => client.query(sqlFor(TAUT))), { code: 'ERR_PALISADE_BLOCKED' });
    const union = "x' UNION SELECT 1, current_user -- ";
    await t.rejects(scoped(union, () => client.query({ text: sqlFor(union) })), { code: 'ERR_PALISADE_BLOCKED', kind: 'sql_injection' });
    // the config object with its own callback property is the callback form.
    const viaProp = await new Promise<unknown>((resolve) => {
      scoped(TAUT, () => client.query({ text: sqlFor(TAUT), callback: (err: unknown) => resolve(err) } as never));
    });
    t.ok(isPalisadeBlockedError(viaProp), 'config.callback gets the error');
    t.equal(await lastSeen(), `SELECT 'marker-promise' AS m`, 'server never saw either attack');
    t.same((await client.query(sqlFor('alice'))).rows, [{ id: 1, name: 'alice' }]);
  });

  t.test('parameterised: attack strings in values are data, not SQL', async (t) => {
    const text = `SELECT id, name FROM ${table} WHERE name = $1`;
    for (const attack of [TAUT, "x' UNION SELECT 1, current_user -- ", "'; DROP TABLE " + table + '; --']) {
      const r = await scoped(attack, () => client.query(text, [attack]));
      t.same(r.rows, [], `no rows for ${JSON.stringify(attack)}`);
      const r2 = await scoped(attack, () => client.query({ text, values: [attack] }));
      t.same(r2.rows, []);
    }
    const ok = await scoped("o'brien", () => client.query(text, ["o'brien"]));
    t.same(ok.rows, [{ id: 3, name: "o'brien" }]);
  });

  t.test('Submittable pg.Query: error event, or its callback', async (t) => {
    await client.query(`SELECT 'marker-sub' AS m`);
    const q = new pg.Query(sqlFor(TAUT));
    const returned = scoped(TAUT, () => client.query(q as never));
    t.equal(returned, q, 'returns the Submittable, as pg does');
    const err = await new Promise((resolve) => (q as unknown as EventEmitter).once('error', resolve));
    t.ok(isPalisadeBlockedError(err), "'error' event carries the block");

    const viaCb = await new Promise((resolve) => {
      scoped(TAUT, () => client.query(new pg.Query(sqlFor(TAUT)) as never, ((e: unknown) => resolve(e)) as never));
    });
    t.ok(isPalisadeBlockedError(viaCb), 'callback argument is used like pg does');

    // No listener and no callback: pg would crash the app here; a block does not.
    scoped(TAUT, () => client.query(new pg.Query(sqlFor(TAUT))));
    await new Promise((r) => setTimeout(r, 20));
    t.equal(await lastSeen(), `SELECT 'marker-sub' AS m`, 'server never saw any of them');

    // A Submittable that is not pg.Query (pg-cursor style): handleError answers its pending reads.
    class Reader extends EventEmitter {
      text: string;
      pending: Array<(err: Error | null, rows?: unknown[]) => void> = [];
      rows: unknown[] = [];
      connection: unknown;
      constructor(text: string) {
        super();
        this.text = text;
      }
      submit(connection: { query(text: string): void }): void {
        this.connection = connection;
        connection.query(this.text);
      }
      handleRowDescription(): void {}
      handleDataRow(msg: { fields: unknown[] }): void {
        this.rows.push(msg.fields);
      }
      handleCommandComplete(): void {}
      handleReadyForQuery(): void {
        for (const cb of this.pending.splice(0)) cb(null, this.rows);
      }
      handleError(err: Error): void {
        for (const cb of this.pending.splice(0)) cb(err);
      }
      read(cb: (err: Error | null, rows?: unknown[]) => void): void {
        this.pending.push(cb);
      }
    }
    const good = new Reader(sqlFor('bob'));
    scoped('bob', () => client.query(good as never));
    const goodRows = await new Promise<unknown[]>((resolve, reject) => good.read((e, rows) => (e ? reject(e) : resolve(rows!))));
    t.equal(goodRows.length, 1, 'a custom Submittable really runs when allowed');
    const bad = new Reader(sqlFor(TAUT));
    scoped(TAUT, () => client.query(bad as never));
    const readErr = await new Promise((resolve) => bad.read((e) => resolve(e)));
    t.ok(isPalisadeBlockedError(readErr), 'pending read gets the block through handleError');
    t.equal(bad.listenerCount('error'), 1, 'a no-op listener keeps an unlistened emitter from crashing');
    t.same((await client.query(sqlFor('alice'))).rows, [{ id: 1, name: 'alice' }], 'client still usable');
  });

  t.test('Pool#query: judged once, at call time; a block checks out no connection', async (t) => {
    const pool = new pg.Pool({ ...PG, max: 1 });
    t.teardown(() => pool.end());
    await t.rejects(scoped(TAUT, () => pool.query(sqlFor(TAUT))), { code: 'ERR_PALISADE_BLOCKED' });
    const cbErr = await new Promise((resolve) => scoped(TAUT, () => pool.query(sqlFor(TAUT), (e: Error) => resolve(e))));
    t.ok(isPalisadeBlockedError(cbErr), 'callback form');
    const cbErr2 = await new Promise((resolve) => scoped(TAUT, () => pool.query(sqlFor(TAUT), [], (e: Error) => resolve(e))));
    t.ok(isPalisadeBlockedError(cbErr2), 'callback after values');
    t.equal(pool.totalCount, 0, 'no connection was ever opened for the blocked queries');
    const r = await scoped('alice', () => pool.query(sqlFor('alice')));
    t.same(r.rows, [{ id: 1, name: 'alice' }], 'pool works afterwards');
    const p = await scoped(TAUT, () => pool.query(`SELECT name FROM ${table} WHERE name = $1`, [TAUT]));
    t.same(p.rows, [], 'parameterised pool query passes');
    const cfg = await scoped(TAUT, () => pool.query({ text: `SELECT name FROM ${table} WHERE name = $1`, values: [TAUT] }));
    t.same(cfg.rows, []);

    // A checked-out client is judged at the client.
    const c = await pool.connect();
    await t.rejects(scoped(TAUT, () => c.query(sqlFor(TAUT))), { code: 'ERR_PALISADE_BLOCKED' });
    t.same((await c.query(sqlFor('bob'))).rows, [{ id: 2, name: 'bob' }]);
    c.release();
  });

  t.test('monitor mode: the query runs and one event is reported per call', async (t) => {
    setMode('monitor');
    t.teardown(() => setMode('block'));
    const pool = new pg.Pool({ ...PG, max: 1 });
    t.teardown(() => pool.end());
    const before = events().length;
    const r = await scoped(TAUT, () => pool.query(sqlFor(TAUT)));
    t.equal(r.rows.length, 3, 'the tautology really leaks every row (the detection was not a false alarm)');
    const evs = events().slice(before);
    t.equal(evs.length, 1, 'exactly one event for one pool query (pool and client do not both judge)');
    t.match(evs[0], { action: 'report', kind: 'sql_injection', operation: 'sql.query', resource: { driver: 'pg', dialect: 'postgres' } });
    // Every call shape the pool marks for its client call: callback, values array, values then callback.
    const shapes: Array<[string, () => Promise<unknown>]> = [
      ['(text, callback)', () => new Promise((resolve, reject) => pool.query(sqlFor(TAUT), (e: Error | null, res: unknown) => (e ? reject(e) : resolve(res))))],
      ['(text, values)', () => pool.query(`${sqlFor(TAUT)} AND $1::int = 1`, [1])],
      ['(text, values, callback)', () => new Promise((resolve, reject) => pool.query(`${sqlFor(TAUT)} AND $1::int = 1`, [1], (e: Error | null, res: unknown) => (e ? reject(e) : resolve(res))))],
    ];
    for (const [shape, run] of shapes) {
      const n = events().length;
      const built = sqlBuildCount();
      await scoped(TAUT, run);
      t.equal(events().length - n, 1, `pool.query${shape}: one event`);
      // Events are deduplicated, so count judgements too: the pool's, and not the client's again.
      t.equal(sqlBuildCount() - built, 1, `pool.query${shape}: judged once`);
    }
  });

  t.test('event names the driver, dialect, kind of statement, db and input', async (t) => {
    await t.rejects(scoped(TAUT, () => client.query(sqlFor(TAUT))));
    const ev = events().filter((e) => e.action === 'block').pop();
    t.match(ev, {
      schema: 'palisade.event/1',
      action: 'block',
      kind: 'sql_injection',
      operation: 'sql.query',
      input: { source: 'query.name', value: TAUT },
      resource: {
        driver: 'pg',
        dialect: 'postgres',
        kind: 'select',
        multiStatement: false,
        db: `${PG.host}:${PG.port}/${PG.database}`,
        text: sqlFor(TAUT),
      },
    });
  });

  t.test('outside any untrusted scope nothing is judged', async (t) => {
    const r = await client.query(sqlFor(TAUT));
    t.equal(r.rows.length, 3, 'no scope: the agent does not interfere (fast path)');
  });
});
