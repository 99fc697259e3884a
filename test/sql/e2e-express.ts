import { q, request, startApp, tmpDir, waitFor, type RunningApp } from '../helpers/app';
import { MYSQL, PG, mysqlTable, needServer, pgClient, pgTable, sqliteFile, uniqueTable, type Server } from '../helpers/db';

// Acceptance of the SQL issue, run as an operator would: the express
// app (`SELECT * FROM users WHERE name = '` + req.query.name + `'`) on each of
// the five drivers, under `node --require palisade/register`. One test file
// per driver (e2e-express-<driver>.test.ts) keeps each within tap's per-file
// timeout. Build first (`npm run build`): the apps load the compiled agent.
//
// "Reached no database" is proven with the database's own records:
//   pg            pg_stat_activity.query of the app's only backend (its last statement)
//   mysql/mysql2  SHOW SESSION STATUS 'Questions' on the app's only connection
//   sqlite        SQLite's statement trace (better-sqlite3 `verbose`, sqlite3 'trace')
// and every proof is shown to move in monitor mode, where the attack runs.

export const TAUT = "' OR '1'='1";
export type Driver = 'pg' | 'mysql' | 'mysql2' | 'better-sqlite3' | 'sqlite3';
export const DRIVERS: ReadonlyArray<{ driver: Driver; dialect: string; server?: Server }> = [
  { driver: 'pg', dialect: 'postgres', server: 'pg' },
  { driver: 'mysql', dialect: 'mysql', server: 'mysql' },
  { driver: 'mysql2', dialect: 'mysql', server: 'mysql' },
  { driver: 'better-sqlite3', dialect: 'sqlite' },
  { driver: 'sqlite3', dialect: 'sqlite' },
];

interface Fixture {
  env: Record<string, string>;
  table: string;
  /** pg: the statements last received on the app's backends. Others: statements received since the previous call. */
  seen(app: RunningApp): Promise<string>;
  teardown(): Promise<void>;
}

export async function fixture(driver: Driver): Promise<Fixture> {
  const table = uniqueTable('pal_users');
  if (driver === 'pg') {
    const drop = await pgTable(table);
    const appName = `palisade-${table}`;
    const watcher = await pgClient();
    return {
      table,
      env: { DB_HOST: PG.host, DB_PORT: String(PG.port), DB_USER: PG.user, DB_PASSWORD: PG.password, DB_NAME: PG.database, APP_NAME: appName },
      // The pool has one backend; the server records the last statement it received on it.
      seen: async () => {
        const r = await watcher.query('SELECT query FROM pg_stat_activity WHERE application_name = $1', [appName]);
        return JSON.stringify(r.rows.map((x) => x.query));
      },
      teardown: async () => {
        await watcher.end();
        await drop();
      },
    };
  }
  if (driver === 'mysql' || driver === 'mysql2') {
    const drop = await mysqlTable(table);
    return {
      table,
      env: { DB_HOST: MYSQL.host, DB_PORT: String(MYSQL.port), DB_USER: MYSQL.user, DB_PASSWORD: MYSQL.password, DB_NAME: MYSQL.database },
      // Questions counts the /stats query itself too, so report how far the counter moved beyond a bare /stats call.
      seen: counterSeen('questions'),
      teardown: drop,
    };
  }
  const file = sqliteFile(tmpDir('palisade-sqlite-'), table);
  return { table, env: { SQLITE_FILE: file }, seen: counterSeen('statements'), teardown: async () => {} };
}

/** A counter read through /stats, normalised so that reading it twice in a row gives the same value. */
function counterSeen(key: string): (app: RunningApp) => Promise<string> {
  const last = new Map<RunningApp, { value: number; step: number }>();
  return async (app) => {
    const read = async (): Promise<number> => Number(JSON.parse((await request(app.port, '/stats')).body)[key]);
    let prev = last.get(app);
    if (prev === undefined) {
      const a = await read();
      const b = await read();
      prev = { value: b, step: b - a };
    }
    const now = await read();
    // Every read moves the counter by `step` (1 for Questions, 0 for SQLite traces); the rest is the app's own statements.
    const value = now - prev.step;
    last.set(app, { value: now, step: prev.step });
    return String(value - prev.value);
  };
}

export const rows = (body: string): Array<{ id: number; name: string }> => JSON.parse(body) as Array<{ id: number; name: string }>;

/** The whole acceptance for one driver, as subtests of `t`. */
export function expressAcceptance(t: tap.Test, driver: Driver): void {
  const { dialect, server } = DRIVERS.find((d) => d.driver === driver)!;
  t.test(`express + ${driver}`, async (t) => {
    if (server !== undefined && !(await needServer(t, server))) return;
    const fx = await fixture(driver);
    t.teardown(() => fx.teardown());
    const union = `x' UNION SELECT id, name FROM ${fx.table} -- `;
    const stacked = `x'; DELETE FROM ${fx.table}; -- `;

    const start = (mode: string): Promise<RunningApp> =>
      startApp('sql/express-sql.js', { PALISADE_MODE: mode, DRIVER: driver, TABLE: fx.table, ...fx.env });

    // One app per attack: the reporter logs identical events (same kind, source and app line) once a minute.
    for (const [label, attack] of [['tautology', TAUT], ['UNION', union], ['stacked DELETE', stacked]] as const) {
      t.test(`block mode: ${label}`, async (t) => {
        const app = await start('block');
        t.teardown(() => app.stop());
        const ok = await request(app.port, `/user?name=${q('alice')}`);
        t.equal(ok.status, 200, 'benign name answers 200');
        t.same(rows(ok.body), [{ id: 1, name: 'alice' }], 'with the row');
        const baseline = await fx.seen(app);

        const bad = await request(app.port, `/user?name=${q(attack)}`);
        t.equal(bad.status, 403, `${label}: 403`);
        t.match(JSON.parse(bad.body), { code: 'ERR_PALISADE_BLOCKED' });
        t.equal(await fx.seen(app), driver === 'pg' ? baseline : '0', `${label}: the database received nothing`);
        const ev = await waitFor(() => app.events().find((e) => e.action === 'block'));
        t.match(ev, {
          action: 'block',
          kind: 'sql_injection',
          operation: 'sql.query',
          input: { source: 'query.name', value: attack, decoding: [] },
          request: { method: 'GET', path: '/user' },
          resource: { driver, dialect, text: `SELECT id, name FROM ${fx.table} WHERE name = '${attack}'` },
        }, `${label}: event names kind, operation, source, driver and dialect`);

        const next = await request(app.port, `/user?name=${q('bob')}`);
        t.same(rows(next.body), [{ id: 2, name: 'bob' }], 'the connection still answers after the block');
        t.equal(app.child.exitCode, null, 'app still running');
      });
    }

    t.test('block mode: placeholders pass the same attack strings as values', async (t) => {
      const app = await start('block');
      t.teardown(() => app.stop());
      const quoted = await request(app.port, `/user-safe?name=${q("o'brien")}`);
      t.same(rows(quoted.body), [{ id: 3, name: "o'brien" }], 'a quote in the value is data');
      for (const attack of [TAUT, union, stacked]) {
        const safe = await request(app.port, `/user-safe?name=${q(attack)}`);
        t.equal(safe.status, 200, `placeholders pass ${JSON.stringify(attack)}`);
        t.same(rows(safe.body), [], 'and find nothing');
      }
      t.same(app.events(), [], 'no event at all');
      const all = await request(app.port, `/user?name=${q('carol')}`);
      t.same(rows(all.body), [], 'table intact');
      const bob = await request(app.port, `/user-safe?name=${q('bob')}`);
      t.same(rows(bob.body), [{ id: 2, name: 'bob' }], 'the stacked DELETE never ran');
    });

    t.test('monitor mode: the same attack runs, and the proof notices', async (t) => {
      const app = await start('monitor');
      t.teardown(() => app.stop());
      await request(app.port, `/user?name=${q('alice')}`);
      const baseline = await fx.seen(app);
      const bad = await request(app.port, `/user?name=${q(TAUT)}`);
      t.equal(bad.status, 200);
      t.equal(rows(bad.body).length, 3, 'the tautology leaks every row');
      const after = await fx.seen(app);
      if (driver === 'pg') t.not(after, baseline, 'pg_stat_activity shows the attack');
      else t.equal(after, '1', 'the counter moved by one statement');
      const ev = await waitFor(() => app.events().find((e) => e.kind === 'sql_injection'));
      t.match(ev, { action: 'report', mode: 'monitor', input: { source: 'query.name' }, resource: { driver, dialect } });
    });
  });
}

