import t from 'tap';
import * as path from 'node:path';
import { start, untrusted, isPalisadeBlockedError } from '../../lib/index';
import { agentState } from '../../lib/agent';
import { readEvents, tmpDir } from '../helpers/app';
import { sqliteFile, uniqueTable } from '../helpers/db';

// better-sqlite3 in-process on a real SQLite file: prepare, exec and pragma
// throw the block synchronously; the engine's own statement trace
// (`verbose`) proves nothing ran; the database stays usable.
const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'block', log });
const setMode = (m: 'block' | 'monitor'): void => {
  agentState()!.config.mode = m;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as typeof import('better-sqlite3');

const TAUT = "' OR '1'='1";
const UNION = "x' UNION SELECT 1, sqlite_version() -- ";
const table = uniqueTable('pal_bs3');
const file = sqliteFile(dir, table);
const sqlFor = (name: string): string => `SELECT id, name FROM ${table} WHERE name = '${name}'`;
const scoped = <T>(name: string, fn: () => T): T => untrusted('query', { name }, fn);
const events = (): Array<Record<string, any>> => readEvents(log);

const trace: string[] = [];
const db = new Database(file, { verbose: (s: unknown) => trace.push(String(s)) });
t.teardown(() => db.close());

function throwsBlocked(t: tap.Test, fn: () => unknown, msg: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  t.ok(isPalisadeBlockedError(err), msg);
}

t.test('the trace sees what runs (the proof can fail)', async (t) => {
  trace.length = 0;
  const rows = scoped('alice', () => db.prepare(sqlFor('alice')).all());
  t.same(rows, [{ id: 1, name: 'alice' }]);
  t.same(trace, [sqlFor('alice')]);
});

t.test('prepare, exec and pragma throw; nothing runs; db usable', async (t) => {
  trace.length = 0;
  throwsBlocked(t, () => scoped(TAUT, () => db.prepare(sqlFor(TAUT)).all()), 'prepare().all() throws');
  throwsBlocked(t, () => scoped(UNION, () => db.prepare(sqlFor(UNION)).get()), 'prepare().get() throws');
  const stacked = `x'; DELETE FROM ${table}; --`;
  throwsBlocked(t, () => scoped(stacked, () => db.exec(`UPDATE ${table} SET name = name WHERE name = '${stacked}'`)), 'exec throws');
  throwsBlocked(t, () => scoped('journal_mode = DELETE; x', () => db.pragma('journal_mode = DELETE; x')), 'pragma throws');
  t.same(trace, [], 'the engine ran none of them');
  t.equal((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n, 3, 'the stacked DELETE never ran');
  t.same(db.prepare(sqlFor('bob')).all(), [{ id: 2, name: 'bob' }], 'next statement works');
});

t.test('placeholders: attack strings as values are data', async (t) => {
  const stmt = db.prepare(`SELECT id FROM ${table} WHERE name = ?`);
  for (const attack of [TAUT, UNION, "'; DROP TABLE x; --"]) {
    t.same(scoped(attack, () => db.prepare(`SELECT id FROM ${table} WHERE name = ?`).all(attack)), [], JSON.stringify(attack));
    t.same(scoped(attack, () => stmt.all(attack)), []);
  }
  t.same(scoped("o'brien", () => db.prepare(`SELECT id FROM ${table} WHERE name = @n`).all({ n: "o'brien" })), [{ id: 3 }]);
});

t.test('monitor mode: runs and reports once', async (t) => {
  setMode('monitor');
  t.teardown(() => setMode('block'));
  const before = events().length;
  const rows = scoped(TAUT, () => db.prepare(sqlFor(TAUT)).all());
  t.equal(rows.length, 3, 'the tautology really leaks all rows');
  const evs = events().slice(before);
  t.equal(evs.length, 1);
  t.match(evs[0], { action: 'report', kind: 'sql_injection' });
});

t.test('event fields', async (t) => {
  try {
    scoped(TAUT, () => db.prepare(sqlFor(TAUT)));
  } catch {
    /* asserted above */
  }
  const ev = events().filter((e) => e.action === 'block').pop();
  t.match(ev, {
    kind: 'sql_injection',
    operation: 'sql.query',
    input: { source: 'query.name', value: TAUT },
    resource: { driver: 'better-sqlite3', dialect: 'sqlite', kind: 'select', multiStatement: false, db: file, text: sqlFor(TAUT) },
  });
});
