import t, { type Test } from 'tap';
import { detectSqlInjection } from '../../lib/detectors/sql/index';
import type { SqlDialect, TaintInput } from '../../lib/types';
import { MYSQL, PG, needServer, uniqueTable } from '../helpers/db';
import { input } from './corpus/sql';

/*
 * The SQL check against the databases themselves, over generated inputs.
 * The check reads queries with its own tokenizer, so wherever it reads one
 * otherwise than the server does, an input can change a query unseen. The
 * corpus lists the shapes found so far; this test builds many more from
 * parts (what breaks out of the app's literal or number, what is added, what
 * ends the rest), splices each into queries an app builds by concatenation,
 * and lets PostgreSQL, MariaDB and SQLite run them against a table whose
 * sentinel row no value of the app's own can select. A query that returns the
 * sentinel was changed by its input: the check must report it. Queries the
 * server rejects are left out (an error is not a changed query here).
 */

const SENTINEL = 'sentinel';
// What breaks out of the app's literal, number or parenthesis (quotes, backslash escapes, dollar quotes, an
// E-string's start, a MySQL backtick, a modifier-letter apostrophe that some charsets fold to a quote).
const PREFIX = [
  '', "'", "x'", "\\'", "\\\\'", '"', 'x"', '1', '0', "1'", "')", '1)', "x')", '\\', '$$', '$a$', "'$$", "E'", "''", "'''", '`', "%'",
  '\u02bc', "\\\\\\'", "\\''",
];
// What is added: conditions, a union, a stacked statement, each spelled with the comments, whitespace and
// casts the servers read as whitespace or syntax.
const PAYLOAD = [
  ' OR 1=1', " OR 'a'='a", ' OR TRUE', '/**/OR/**/1=1', ' UNION SELECT name FROM §T', ';SELECT name FROM §T', ' OR id>0',
  "||' OR 1=1", '+0 OR 1', '\tOR\t1=1', '\nOR 1=1', ' or 1', " OR 1=1 OR '", ' OR/*x*/1', ' OR 1::int=1', ' OR 1=1 /* /* */ */',
  ' /*! OR 1=1 */', '/*!OR*/1=1', ' OR 0x31=1', ' OR\x0b1=1', ' OR\x0c1=1', '\rOR 1=1', " OR 'a'||'b'='ab", ' OR 1=1\n',
];
// What ends the rest of the app's query.
const SUFFIX = ['', ' --', '-- ', '#', '/*', "'", " OR 'a'='a", ';', " AND '1'='1", ')', ' -- x', '\n', '--\t', '--\n', '/* */', '$$', '$a$', '\\', '`', ' /*'];

/** Queries an app builds by concatenation; § is the input, §T the table. */
function templates(dialect: SqlDialect): string[] {
  const common = [
    "SELECT name FROM §T WHERE name = '§'",
    'SELECT name FROM §T WHERE id = §',
    "SELECT name FROM §T WHERE (name = '§' AND id > 0)",
    'SELECT name FROM §T WHERE id IN (§)',
  ];
  if (dialect === 'mysql') common.push('SELECT name FROM §T WHERE name = "§"');
  if (dialect === 'postgres') common.push("SELECT name FROM §T WHERE name = E'§'");
  return common;
}

/** Runs one query; the rows of every statement it ran, or undefined when the server rejects it. */
type Run = (sql: string) => Promise<Array<Record<string, unknown>> | undefined>;

interface Miss {
  query: string;
  input: string;
}

async function differential(dialect: SqlDialect, table: string, run: Run): Promise<{ judged: number; misses: Miss[] }> {
  const misses: Miss[] = [];
  let judged = 0;
  for (const template of templates(dialect)) {
    for (const p of PREFIX) {
      for (const payload of PAYLOAD) {
        for (const s of SUFFIX) {
          const v = (p + payload + s).split('§T').join(table);
          const query = template.split('§T').join(table).split('§').join(v);
          const rows = await run(query);
          if (rows === undefined || !rows.some((r) => r.name === SENTINEL)) continue;
          judged++;
          const withClasses: TaintInput[] = [input(v)];
          const withoutClasses: TaintInput[] = [{ source: 'query.q', value: v, decoding: [] }];
          const resource = { driver: 'test', dialect, text: query };
          if (detectSqlInjection(resource, withClasses) === undefined || detectSqlInjection(resource, withoutClasses) === undefined) {
            misses.push({ query, input: v });
          }
        }
      }
    }
  }
  return { judged, misses };
}

function report(t: Test, dialect: string, r: { judged: number; misses: Miss[] }): void {
  t.comment(`${dialect}: ${r.judged} generated queries returned the sentinel row and were judged`);
  t.ok(r.judged > 2000, `${dialect}: the generator changes queries on the real server`);
  t.same(r.misses.slice(0, 20).map((m) => `${JSON.stringify(m.input)} in ${m.query}`), [], `${dialect}: ${r.misses.length} missed`);
}

t.test('PostgreSQL: every generated input that changes a query is caught', async (t) => {
  if (!(await needServer(t, 'pg'))) return;
  const { Client } = await import('pg');
  const client = new Client(PG);
  await client.connect();
  const table = uniqueTable('pal_sqldiff');
  t.teardown(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  });
  await client.query(`CREATE TABLE ${table} (id int, name text); INSERT INTO ${table} VALUES (1, 'alice'), (424242, '${SENTINEL}')`);
  const run: Run = async (sql) => {
    try {
      const res = (await client.query(sql)) as unknown as { rows?: Array<Record<string, unknown>> } | Array<{ rows?: Array<Record<string, unknown>> }>;
      return (Array.isArray(res) ? res : [res]).flatMap((r) => r.rows ?? []);
    } catch {
      return undefined;
    }
  };
  report(t, 'postgres', await differential('postgres', table, run));
});

t.test('MariaDB: every generated input that changes a query is caught', async (t) => {
  if (!(await needServer(t, 'mysql'))) return;
  const mysql = await import('mysql2/promise');
  // Stacked statements run only when the app allows them; they are generated either way.
  const conn = await mysql.createConnection({ ...MYSQL, multipleStatements: true });
  const table = uniqueTable('pal_sqldiff');
  t.teardown(async () => {
    await conn.query(`DROP TABLE IF EXISTS ${table}`);
    await conn.end();
  });
  await conn.query(`CREATE TABLE ${table} (id int, name varchar(32)); INSERT INTO ${table} VALUES (1, 'alice'), (424242, '${SENTINEL}')`);
  const run: Run = async (sql) => {
    try {
      const [res] = await conn.query(sql);
      const sets = Array.isArray(res) && Array.isArray(res[0]) ? (res as unknown[]) : [res];
      return sets.flatMap((s) => (Array.isArray(s) ? (s as Array<Record<string, unknown>>) : []));
    } catch {
      return undefined;
    }
  };
  report(t, 'mysql', await differential('mysql', table, run));
});

t.test('SQLite: every generated input that changes a query is caught', async (t) => {
  let Database: typeof import('better-sqlite3');
  try {
    Database = (await import('better-sqlite3')).default;
  } catch (err) {
    t.skip(`better-sqlite3 cannot load here: ${(err as Error).message}`);
    return;
  }
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  const table = 'pal_sqldiff';
  db.exec(`CREATE TABLE ${table} (id int, name text); INSERT INTO ${table} VALUES (1, 'alice'), (424242, '${SENTINEL}')`);
  // better-sqlite3 prepares one statement; a query holding more is rejected, as the driver rejects it for the app.
  const run: Run = async (sql) => {
    try {
      return db.prepare(sql).all() as Array<Record<string, unknown>>;
    } catch {
      return undefined;
    }
  };
  report(t, 'sqlite', await differential('sqlite', table, run));
});
