import t from 'tap';
import * as path from 'node:path';
import { start, untrusted, isPalisadeBlockedError } from '../../lib/index';
import { agentState } from '../../lib/agent';
import { readEvents, tmpDir } from '../helpers/app';
import { sqliteFile, uniqueTable } from '../helpers/db';

// sqlite3 in-process on a real SQLite file: run/get/all/each/map/exec call
// back with the block on a later tick (or emit 'error' on the Database when
// there is no callback and someone listens); prepare returns a statement
// that fails its calls. The engine's own 'trace' event proves nothing ran.
const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'block', log });
const setMode = (m: 'block' | 'monitor'): void => {
  agentState()!.config.mode = m;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sqlite3 = require('sqlite3') as typeof import('sqlite3');

const TAUT = "' OR '1'='1";
const UNION = "x' UNION SELECT 1, sqlite_version() -- ";
const table = uniqueTable('pal_s3');
const file = sqliteFile(dir, table);
const sqlFor = (name: string): string => `SELECT id, name FROM ${table} WHERE name = '${name}'`;
const scoped = <T>(name: string, fn: () => T): T => untrusted('query', { name }, fn);
const events = (): Array<Record<string, any>> => readEvents(log);

const db = new sqlite3.Database(file);
const trace: string[] = [];
db.on('trace', (s: string) => trace.push(s));
t.teardown(() => new Promise<void>((r) => db.close(() => r())));

const all = (sql: string, params: unknown[] = []): Promise<unknown[]> =>
  new Promise((resolve, reject) => db.all(sql, params, (e: Error | null, rows: unknown[]) => (e ? reject(e) : resolve(rows))));
/** Let the engine's trace events (delivered asynchronously) arrive. */
const settle = async (): Promise<void> => {
  await all('SELECT 1 AS settle');
};

t.test('the trace sees what runs (the proof can fail)', async (t) => {
  trace.length = 0;
  t.same(await scoped('alice', () => all(sqlFor('alice'))), [{ id: 1, name: 'alice' }]);
  await settle();
  t.ok(trace.includes(sqlFor('alice')));
});

t.test('every Database method: callback error on a later tick, nothing runs, returns the Database', async (t) => {
  trace.length = 0;
  const cases: Array<[string, (cb: (e: unknown) => void) => unknown]> = [
    ['run', (cb) => db.run(sqlFor(TAUT), cb)],
    ['run with params', (cb) => db.run(sqlFor(TAUT), [], cb)],
    ['get', (cb) => db.get(sqlFor(UNION), cb)],
    ['all', (cb) => db.all(sqlFor(TAUT), cb)],
    ['each (row callback + complete)', (cb) => db.each(sqlFor(TAUT), () => t.fail('no rows'), cb)],
    ['map', (cb) => (db as unknown as { map(s: string, cb: (e: unknown) => void): unknown }).map(sqlFor(TAUT), cb)],
    ['exec', (cb) => db.exec(`UPDATE ${table} SET name = name WHERE name = '${TAUT}'`, cb)],
  ];
  for (const [name, call] of cases) {
    let returned = false;
    let ret: unknown;
    const err = await new Promise((resolve) => {
      ret = scoped(name.startsWith('get') ? UNION : TAUT, () =>
        call((e) => {
          t.ok(returned, `${name}: callback after return`);
          resolve(e);
        }),
      );
      returned = true;
    });
    t.ok(isPalisadeBlockedError(err), `${name}: PalisadeBlockedError`);
    t.equal(ret, db, `${name}: returns the Database, as sqlite3 does`);
  }
  await settle();
  t.same(trace.filter((s) => s.includes(table)), [], 'the engine ran none of them');
  t.same(await all(sqlFor('bob')), [{ id: 2, name: 'bob' }], 'database usable');
});

t.test("no callback: 'error' on the Database when listened, silence otherwise", async (t) => {
  const err = await new Promise((resolve) => {
    db.once('error', resolve);
    scoped(TAUT, () => db.run(sqlFor(TAUT)));
  });
  t.ok(isPalisadeBlockedError(err));
  t.equal(db.listenerCount('error'), 0);
  scoped(TAUT, () => db.all(sqlFor(TAUT)));
  scoped(TAUT, () => db.exec(sqlFor(TAUT)));
  await settle();
  t.pass('no listener: no crash');
});

t.test('prepare: the statement fails its calls', async (t) => {
  trace.length = 0;
  // prepare callback: sqlite3 reports a failed prepare there.
  const perr = await new Promise((resolve) => scoped(TAUT, () => db.prepare(sqlFor(TAUT), resolve)));
  t.ok(isPalisadeBlockedError(perr), 'prepare callback gets the block');
  // without one, each later call's callback gets it (no request left hanging).
  const stmt = scoped(TAUT, () => db.prepare(sqlFor(TAUT)));
  t.equal(stmt.bind(), stmt, 'chainable');
  const errs = await Promise.all([
    new Promise((resolve) => stmt.all(resolve)),
    new Promise((resolve) => stmt.get([], resolve)),
    new Promise((resolve) => stmt.run(resolve)),
    new Promise((resolve) => stmt.each(() => t.fail('no rows'), resolve)),
  ]);
  t.ok(errs.every(isPalisadeBlockedError), 'all, get, run, each callbacks get the block');
  const fin = await new Promise((resolve) => stmt.finalize(resolve as () => void));
  t.equal(fin, null, 'finalize succeeds');
  // 'error' on the statement when someone listens.
  const st2 = scoped(TAUT, () => db.prepare(sqlFor(TAUT)));
  t.ok(isPalisadeBlockedError(await new Promise((resolve) => st2.on('error', resolve))));
  await settle();
  t.same(trace.filter((s) => s.includes(table)), []);
  // An allowed prepared statement with attack strings as values.
  const ok = db.prepare(`SELECT id FROM ${table} WHERE name = ?`);
  for (const attack of [TAUT, UNION]) {
    const rows = await scoped(attack, () => new Promise((resolve, reject) => ok.all([attack], (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r)))));
    t.same(rows, [], `value ${JSON.stringify(attack)} is data`);
  }
  await new Promise<void>((r) => ok.finalize(() => r()));
  t.same(await scoped(TAUT, () => all(`SELECT id FROM ${table} WHERE name = $n`, { $n: TAUT } as never)), []);
});

t.test('monitor mode: runs and reports once', async (t) => {
  setMode('monitor');
  t.teardown(() => setMode('block'));
  const before = events().length;
  const rows = await scoped(TAUT, () => all(sqlFor(TAUT)));
  t.equal(rows.length, 3, 'the tautology really leaks all rows');
  const evs = events().slice(before);
  t.equal(evs.length, 1);
  t.match(evs[0], { action: 'report', kind: 'sql_injection', resource: { driver: 'sqlite3', dialect: 'sqlite' } });
});

t.test('event fields', async (t) => {
  await new Promise((resolve) => scoped(TAUT, () => db.all(sqlFor(TAUT), resolve)));
  const ev = events().filter((e) => e.action === 'block').pop();
  t.match(ev, {
    kind: 'sql_injection',
    operation: 'sql.query',
    input: { source: 'query.name', value: TAUT },
    resource: { driver: 'sqlite3', dialect: 'sqlite', kind: 'select', multiStatement: false, db: file, text: sqlFor(TAUT) },
  });
});
