import t from 'tap';
import * as path from 'node:path';
import { start, untrusted, isPalisadeBlockedError } from '../../lib/index';
import { readEvents, tmpDir } from '../helpers/app';
import { MYSQL, PG, mysqlTable, needServer, pgTable, sqliteFile, uniqueTable } from '../helpers/db';

// ORMs and query builders reach the database through the drivers: knex.raw
// with concatenated input is blocked at the driver hook, and the query
// builder's own bindings pass with attack strings as values.
const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'block', log });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const knexFactory = require('knex') as typeof import('knex').knex;

const TAUT = "' OR '1'='1";
// knex builders are lazy thenables: run them inside the scope (as a request handler does) with then().
// Each driver gets its own source so the reporter's de-duplication (same kind, source and app line) keeps every event.
let source = 'query';
const scoped = <T>(name: string, fn: () => PromiseLike<T>): Promise<T> => untrusted(source, { name }, () => Promise.resolve(fn().then((x) => x)));

async function exercise(t: tap.Test, db: import('knex').Knex, table: string, driver: string): Promise<void> {
  source = `knex-${driver}`;
  const raw = (name: string) => db.raw(`SELECT id, name FROM ${table} WHERE name = '${name}'`);
  const rowsOf = (r: unknown): unknown[] => {
    // knex.raw resolves to the driver's own result shape.
    if (Array.isArray(r)) return (Array.isArray(r[0]) ? r[0] : r) as unknown[];
    return ((r as { rows?: unknown[] }).rows ?? []) as unknown[];
  };
  const ok = rowsOf(await scoped('alice', () => raw('alice')));
  t.same(ok.map((x) => (x as { name: string }).name), ['alice'], `${driver}: benign raw query runs`);
  let err: unknown;
  try {
    await scoped(TAUT, () => raw(TAUT));
  } catch (e) {
    err = e;
  }
  t.ok(isPalisadeBlockedError(err), `${driver}: knex.raw with concatenated input rejects with the block`);
  const ev = readEvents(log).filter((e) => e.action === 'block').pop();
  t.match(ev, { kind: 'sql_injection', input: { source: `knex-${driver}.name` }, resource: { driver } });
  const bound = await scoped(TAUT, () => db(table).where('name', TAUT).select('id'));
  t.same(bound, [], `${driver}: the query builder's bindings pass attack strings as data`);
  const rawBound = rowsOf(await scoped(TAUT, () => db.raw(`SELECT id FROM ${table} WHERE name = ?`, [TAUT])));
  t.same(rawBound, [], `${driver}: knex.raw with ? bindings passes`);
  const after = await db(table).where('name', 'bob').select('name');
  t.same(after, [{ name: 'bob' }], `${driver}: still usable`);
}

t.test('knex + better-sqlite3', async (t) => {
  const table = uniqueTable('pal_knex');
  const filename = sqliteFile(dir, table);
  const db = knexFactory({ client: 'better-sqlite3', connection: { filename }, useNullAsDefault: true });
  t.teardown(() => db.destroy());
  await exercise(t, db, table, 'better-sqlite3');
});

t.test('knex + pg', async (t) => {
  if (!(await needServer(t, 'pg'))) return;
  const table = uniqueTable('pal_knex');
  t.teardown(await pgTable(table));
  const db = knexFactory({ client: 'pg', connection: { ...PG }, pool: { min: 0, max: 1 } });
  t.teardown(() => db.destroy());
  await exercise(t, db, table, 'pg');
});

t.test('knex + mysql2', async (t) => {
  if (!(await needServer(t, 'mysql'))) return;
  const table = uniqueTable('pal_knex');
  t.teardown(await mysqlTable(table));
  const db = knexFactory({ client: 'mysql2', connection: { ...MYSQL }, pool: { min: 0, max: 1 } });
  t.teardown(() => db.destroy());
  await exercise(t, db, table, 'mysql2');
});
