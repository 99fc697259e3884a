import t from 'tap';
import { analyzeSql, detectSqlInjection, tokenize } from '../../lib/detectors/sql/index';
import type { SqlDialect, SqlKind, TaintInput } from '../../lib/types';
import { DIALECTS, NOISE, attacksFor, benignFor, escapeFor, fill, input } from './corpus/sql';
import { sameWithoutClasses } from './corpus/classes';

const MIN_PER_DIALECT = 200;

for (const dialect of DIALECTS) {
  t.test(`${dialect}: corpus`, async (t) => {
    const attacks = attacksFor(dialect);
    const benign = benignFor(dialect);
    t.ok(attacks.length >= MIN_PER_DIALECT, `${attacks.length} attacks`);
    t.ok(benign.length >= MIN_PER_DIALECT, `${benign.length} benign look-alikes`);
    t.comment(`${dialect}: ${attacks.length} attacks, ${benign.length} benign`);

    t.test('every attack is caught', async (t) => {
      for (const c of attacks) {
        const f = detectSqlInjection(c.resource, c.inputs);
        if (f === undefined) {
          t.fail(`missed: ${c.name}\n  query: ${c.resource.text}`);
          continue;
        }
        t.equal(f.kind, 'sql_injection', c.name);
        t.same(f.input, c.attacker, `${c.name}: names the attacking input and its decoding`);
        t.equal(f.detail?.['dialect'], dialect, `${c.name}: detail.dialect`);
        if (c.reason !== undefined) t.match(f.reason, c.reason, `${c.name}: ${f.reason}`);
      }
    });

    t.test('every benign look-alike passes', async (t) => {
      for (const c of benign) {
        const f = detectSqlInjection(c.resource, c.inputs);
        t.equal(f, undefined, f === undefined ? c.name : `${c.name}: false positive (${f.reason}) in ${c.resource.text}`);
      }
    });
  });
}

t.test('SQLite itself agrees with the corpus', async (t) => {
  let Database: typeof import('better-sqlite3');
  try {
    Database = (await import('better-sqlite3')).default;
    new Database(':memory:').close();
  } catch (err) {
    t.skip(`better-sqlite3 cannot load here: ${(err as Error).message}`);
    return;
  }
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  db.exec(`
    CREATE TABLE users (id INTEGER, name TEXT, email TEXT, bio TEXT, role TEXT, password TEXT, status TEXT, is_admin INT);
    CREATE TABLE products (id INTEGER, title TEXT, name TEXT, price REAL, created_at TEXT);
    CREATE TABLE comments (post_id INTEGER, author TEXT, body TEXT);
    CREATE TABLE accounts (email TEXT, password_hash TEXT);
    CREATE TABLE orders (id INTEGER, tenant_id INTEGER);
    CREATE TABLE posts (id INTEGER, title TEXT, created_at TEXT);
    CREATE TABLE cart_items (cart_id INTEGER, user_id INTEGER);
    CREATE TABLE items (category_id INTEGER, visible INTEGER);
    CREATE TABLE notes (body TEXT);
    CREATE TABLE t (name TEXT, path TEXT, "col name" TEXT);
    CREATE TABLE students (id INTEGER);
    CREATE TABLE secrets (password TEXT);
    CREATE TABLE api_keys (id INTEGER, secret TEXT);
  `);
  /** SQLite's own answer: one statement, several, or not valid SQL at all. */
  const statements = (sql: string): 'one' | 'many' | 'invalid' => {
    try {
      db.prepare(sql);
      return 'one';
    } catch (err) {
      return /more than one statement/.test((err as Error).message) ? 'many' : 'invalid';
    }
  };
  for (const c of benignFor('sqlite')) {
    t.equal(statements(c.resource.text), 'one', `benign query is one valid statement: ${c.resource.text}`);
  }
  let compared = 0;
  for (const c of attacksFor('sqlite')) {
    const real = statements(c.resource.text);
    if (real === 'invalid') continue;
    compared++;
    t.equal(analyzeSql(c.resource.text, 'sqlite').multiStatement, real === 'many', `multiStatement matches SQLite: ${c.resource.text}`);
  }
  t.ok(compared > 100, `${compared} attack queries compiled by SQLite were compared`);
});

t.test('findings name the change', async (t) => {
  const q = (dialect: SqlDialect, text: string, x: string, others: TaintInput[] = []) =>
    detectSqlInjection({ driver: 'test', dialect, text }, [...others, input(x)]);
  const f = q('postgres', "SELECT * FROM users WHERE name = 'x' OR '1'='1'", "x' OR '1'='1");
  t.equal(f?.reason, "input breaks out of a quoted literal and adds 'OR'");
  t.same(f?.detail, { dialect: 'postgres', token: 'OR', offset: 34 });
  t.match(q('mysql', 'SELECT * FROM t WHERE id = 1; DROP TABLE t', '1; DROP TABLE t')?.reason, "stacks another after ';'");
  t.match(q('sqlite', "SELECT * FROM t WHERE a = 'admin'-- '", "admin'-- ")?.reason, 'comment (--)');
  t.match(q('mysql', "SELECT * FROM t WHERE a = 'admin'#'", "admin'#")?.reason, 'comment (#)');
  t.match(q('postgres', 'SELECT * FROM t WHERE id = 0 UNION SELECT 1', '0 UNION SELECT 1')?.reason, 'UNION');
  t.match(q('postgres', "SELECT * FROM t WHERE id = 1 OR 1=1", '1 OR 1=1')?.reason, "adds SQL to the query: 'OR'");
  t.match(q('postgres', "SELECT * FROM t WHERE a = '''", "'")?.reason, 'unterminated');
  const escaped = q('mysql', "SELECT * FROM t WHERE a = '\\'' OR 1=1 -- '", "\\' OR 1=1 -- ");
  t.equal(escaped?.detail?.['escaped'], 'doubled-quotes', 'found through the escaped spelling');
  const long = 'x'.repeat(300);
  const fl = q('postgres', `SELECT * FROM t WHERE a = 1; SELECT '${long}'`, `1; SELECT '${long}'`);
  t.ok(fl !== undefined && String(fl.detail?.['token']).length <= 41, 'long tokens are clipped');
  t.equal(q('postgres', 'SELECT * FROM t', 'SELECT * FROM t WHERE 1=1')?.reason, 'input contains the whole query text');
  t.equal(q('postgres', 'COMMIT', 'please COMMIT this'), undefined, 'a one-word query inside prose is not an injection');
});

t.test('inputs that do not occur, or only in harmless places, cost nothing and pass', async (t) => {
  const r = { driver: 'test', dialect: 'postgres' as const, text: "SELECT * FROM t WHERE a = 'it''s' AND b = 2" };
  t.equal(detectSqlInjection(r, []), undefined);
  t.equal(detectSqlInjection(r, [input("' OR 1=1 --")]), undefined);
  t.equal(detectSqlInjection(r, [input("'")]), undefined, "a lone quote that is part of an escaped ''");
  t.equal(detectSqlInjection(r, [input("''")]), undefined, 'a doubled quote inside a literal');
  t.equal(detectSqlInjection(r, [input("t''s")]), undefined);
  t.equal(detectSqlInjection(r, [input('*')]), undefined, 'single non-quote characters are ignored');
  t.equal(detectSqlInjection({ ...r, text: '' }, [input('x')]), undefined, 'empty query');
  t.equal(detectSqlInjection(r, NOISE), undefined);
});

t.test('edges of "one value": names, literal lists, signs, and what is still SQL', async (t) => {
  const q = (dialect: SqlDialect, text: string, x: string) => detectSqlInjection({ driver: 'test', dialect, text }, [input(x)]);
  t.equal(q('postgres', 'SELECT * FROM t ORDER BY u.created_at', 'u.created_at'), undefined, 'a qualified name is one reference');
  t.equal(q('postgres', 'SELECT * FROM t ORDER BY "u"."x"', '"u"."x"'), undefined);
  t.equal(q('postgres', 'SELECT * FROM t WHERE a=-1', '-1'), undefined, 'a signed number glued to =');
  t.equal(q('postgres', "INSERT INTO t VALUES ('a', 1), ('b', 2)", "'b', 2"), undefined, 'a list of literals');
  t.equal(q('postgres', 'SELECT * FROM t WHERE id = $1', '$1'), undefined, 'an input that equals a placeholder');
  t.equal(q('postgres', 'SELECT 1 /* user: bob */', 'bob'), undefined, 'inside a comment');
  t.ok(q('postgres', 'SELECT 1 /* user: */ DROP TABLE t; /* */', '*/ DROP TABLE t; /*'), 'closing a comment');
  t.ok(q('postgres', "INSERT INTO t VALUES ('a', 1), ('b', 2)", "1), ('b', 2"), 'adding a row');
  t.ok(q('mysql', 'SELECT * FROM t WHERE id = 1 /*! OR 1=1 */', '1 /*! OR 1=1 */'), 'MySQL executable comments are code');
  t.equal(q('mysql', "SELECT * FROM t WHERE a = '/*!50000 x */'", '/*!50000 x */'), undefined, '…but not inside a literal');
  t.equal(q('mysql', "SELECT * FROM t WHERE a = 'it\\'s'", "it's"), undefined, 'backslash-escaped quote inside a literal');
  t.ok(q('mysql', "SELECT * FROM t WHERE a = 'x\\' AND b = 'y'", 'x\\'), 'a trailing backslash that swallows the closing quote');
  t.equal(q('postgres', "SELECT * FROM t WHERE a = 'x\\' AND b = 'y'", 'x\\'), undefined, 'PostgreSQL standard strings have no backslash escapes');
});

t.test('properly escaped values never trigger, whatever they contain (random)', async (t) => {
  let seed = 12345;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const alphabet = ["'", '"', '\\', '`', '-', '--', '#', '/*', '*/', ';', ' ', 'a', 'OR', '1', '=', '$$', '$', '(', ')', ',', '\n', 'é', '%', '_'];
  const templates = [
    "SELECT * FROM t WHERE a = '§'",
    "SELECT * FROM t WHERE a = '§' AND b = '§'",
    "INSERT INTO t VALUES ('§', 1)",
    "SELECT * FROM t WHERE a LIKE '%§%' -- note",
    "SELECT * FROM t WHERE a = '§' /* x = 1; */ AND b = (1)",
  ];
  let checked = 0;
  for (const d of DIALECTS) {
    for (let i = 0; i < 4000; i++) {
      let v = '';
      for (let k = 1 + rand(8); k > 0; k--) v += alphabet[rand(alphabet.length)];
      const text = fill(templates[rand(templates.length)], escapeFor(d, v));
      const f = detectSqlInjection({ driver: 'random', dialect: d, text }, [...NOISE, input(v)]);
      if (f !== undefined) {
        t.fail(`${d}: false positive for ${JSON.stringify(v)} in ${text}: ${f.reason}`);
        return;
      }
      checked++;
    }
  }
  t.equal(checked, 12_000);
});

t.test('every break-out of a literal is caught, whatever follows it (random)', async (t) => {
  let seed = 777;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const words = ['OR', 'AND', '1=1', 'UNION', 'SELECT', '--', '#', '/*', ';', '(', ')', "'", '"', 'x', '$$', '\\', ',', 'sleep(5)', '||'];
  let checked = 0;
  for (const d of DIALECTS) {
    for (let i = 0; i < 3000; i++) {
      let tail = '';
      for (let k = 1 + rand(6); k > 0; k--) tail += ` ${words[rand(words.length)]}`;
      const x = `x'${tail}`;
      const f = detectSqlInjection({ driver: 'random', dialect: d, text: `SELECT * FROM t WHERE a = '${x}' AND b = 2` }, [...NOISE, input(x)]);
      if (f === undefined) {
        t.fail(`${d}: missed ${JSON.stringify(x)}`);
        return;
      }
      checked++;
    }
  }
  t.equal(checked, 9000);
});

t.test('a short input also seen inside a literal is not blamed for matching the app\'s SQL', async (t) => {
  const q = (text: string, x: string) => detectSqlInjection({ driver: 'test', dialect: 'postgres', text }, [input(x)]);
  t.equal(q("SELECT * FROM t WHERE a LIKE '%--%' -- note", '--'), undefined, 'the app quoted it; the comment is the app\'s');
  t.ok(q('SELECT * FROM t WHERE a = 1 -- note', '--'), 'with no quoted twin, it is judged where it is');
  const long = 'x; DROP TABLE t';
  t.ok(q(`SELECT * FROM t WHERE a = '${long}' ORDER BY ${long}`, long), 'a longer input is judged at every occurrence');
});

t.test('known limits, pinned so a change in them is deliberate (docs/detectors.md)', async (t) => {
  const q = (text: string, x: string) => detectSqlInjection({ driver: 'test', dialect: 'postgres', text }, [input(x)]);
  t.equal(q('SELECT * FROM t WHERE id = id', 'id'), undefined, 'a single word in code position is accepted, even as a tautology');
  t.ok(q('SELECT * FROM t ORDER BY name DESC', 'name DESC'), 'two words in code position are reported, even when benign');
  t.ok(q('SELECT * FROM t WHERE d > 2024-01-15', '2024-01-15'), 'an unquoted date is arithmetic, and reported');
  t.ok(q("SELECT * FROM t WHERE a = 'x'", "x'"), 'an input that supplies a closing quote is reported, even if it only coincides with one');
});

t.test('the tokenizer reads each dialect', async (t) => {
  const types = (text: string, d: SqlDialect) => tokenize(text, d).map((x) => `${x.type}:${x.text}`);
  t.same(types("E'a\\'b' 'c\\' $q$x'y$q$ $$z$$ $1", 'postgres'), [
    "string:E'a\\'b'",
    "string:'c\\'",
    "string:$q$x'y$q$",
    'string:$$z$$',
    'placeholder:$1',
  ]);
  t.same(types('/* a /* nested */ b */ x', 'postgres'), ['comment:/* a /* nested */ b */', 'word:x']);
  t.same(types('/* a /* nested */ b */ x', 'mysql'), ['comment:/* a /* nested */', 'word:b', 'operator:*', 'operator:/', 'word:x']);
  t.same(types("a::int, \"Col\"\"x\", U&'\\0041', B'101', X'1F', 0x1F, 1.5e-3, .5", 'postgres'), [
    'word:a',
    'operator:::',
    'word:int',
    'punctuation:,',
    'quoted_identifier:"Col""x"',
    'punctuation:,',
    "string:U&'\\0041'",
    'punctuation:,',
    "string:B'101'",
    'punctuation:,',
    "string:X'1F'",
    'punctuation:,',
    'number:0x1F',
    'punctuation:,',
    'number:1.5e-3',
    'punctuation:,',
    'number:.5',
  ]);
  t.same(types("'it\\'s' \"dq\\\"x\" `a``b` @v @@version ? :n # c", 'mysql'), [
    "string:'it\\'s'",
    'string:"dq\\"x"',
    'quoted_identifier:`a``b`',
    'placeholder:@v',
    'placeholder:@@version',
    'placeholder:?',
    'placeholder::n',
    'comment:# c',
  ]);
  t.same(types('SELECT /*!50000 UNION */ 1 /*M!100100 , 2 */', 'mysql'), ['word:SELECT', 'word:UNION', 'number:1', 'punctuation:,', 'number:2']);
  t.same(types('1--x\n2-- y', 'mysql'), ['number:1', 'operator:-', 'operator:-', 'word:x', 'number:2', 'comment:-- y'], 'MySQL needs a space after --');
  t.same(types('1abc 123', 'mysql'), ['word:1abc', 'number:123'], 'MySQL identifiers may begin with digits');
  t.same(types("[a b] `c` \"d\" 'e\\' ?1 :x @y $z", 'sqlite'), [
    'quoted_identifier:[a b]',
    'quoted_identifier:`c`',
    'quoted_identifier:"d"',
    "string:'e\\'",
    'placeholder:?1',
    'placeholder::x',
    'placeholder:@y',
    'placeholder:$z',
  ]);
  t.same(types('a /* open', 'sqlite'), ['word:a', 'comment:/* open'], 'SQLite lets a block comment run to the end');
  for (const d of DIALECTS) {
    t.same(types("x 'open", d), ['word:x', "unterminated:'open"], `${d}: unterminated string`);
    t.same(types('x /* open', d).map((s) => s.split(':')[0]), d === 'sqlite' ? ['word', 'comment'] : ['word', 'unterminated']);
    t.same(types('a;b', d), ['word:a', 'punctuation:;', 'word:b']);
  }
  t.same(types('$tag$ never closed', 'postgres'), ['unterminated:$tag$ never closed']);
  t.same(types('"never closed', 'postgres'), ['unterminated:"never closed']);
  t.same(types('[never closed', 'sqlite'), ['unterminated:[never closed']);
});

t.test('the tokenizer never throws and covers the text, on random input', async (t) => {
  let seed = 0x9e3779b9;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const alphabet = ["'", '"', '`', '[', ']', '\\', '$', '$$', '$a$', '-', '--', '#', '/', '*', '/*', '*/', '/*!', '/*M!5', ';', '(', ')', ',', '.', '?', ':', '@', '0x', '1', '9', 'e', 'E', '+', ' ', '\n', '\t', 'SELECT', 'a', '_', 'é', '\u0000', '\uD800', '🎉', 'U&', 'X', 'N', '=', '<', '>', '!', '|', '&', '~', '%', '^', '{', '}'];
  let checked = 0;
  for (let i = 0; i < 3000; i++) {
    let text = '';
    const parts = 1 + rand(40);
    for (let k = 0; k < parts; k++) text += alphabet[rand(alphabet.length)];
    for (const d of DIALECTS) {
      const toks = tokenize(text, d);
      let last = 0;
      // Between tokens only whitespace may be skipped (and, for MySQL, the markers of executable comments).
      const gap = d === 'mysql' ? /^[\s/*!M0-9]*$/ : /^\s*$/;
      for (const tok of [...toks, { start: text.length, end: text.length + 1, type: 'end', text: '' }]) {
        if (tok.start < last || tok.end <= tok.start || (tok.type !== 'end' && tok.end > text.length) || !gap.test(text.slice(last, tok.start))) {
          t.fail(`bad token ${JSON.stringify(tok)} after ${last} in ${JSON.stringify(text)} (${d})`);
          return;
        }
        last = tok.end;
      }
      analyzeSql(text, d);
      const from = rand(text.length);
      const x = text.slice(from, from + 1 + rand(12));
      detectSqlInjection({ driver: 'fuzz', dialect: d, text }, [input(x), input(text + 'x')]);
      checked++;
    }
  }
  t.equal(checked, 9000, 'tokenize, analyzeSql and the detector ran on every random text without throwing');
});

t.test('analyzeSql answers each dialect for itself, also when it answers from its cache', async (t) => {
  // '#' starts a comment in MySQL only: the same text is one statement there and two elsewhere.
  const text = 'SELECT 1 # ; DROP TABLE t';
  for (let round = 0; round < 2; round++) {
    t.same(analyzeSql(text, 'mysql'), { kind: 'select', multiStatement: false, kinds: ['select'] }, `mysql, call ${round + 1}`);
    t.same(analyzeSql(text, 'postgres'), { kind: 'ddl', multiStatement: true, kinds: ['select', 'ddl'] }, `postgres, call ${round + 1}`);
  }
  t.ok(Object.isFrozen(analyzeSql(text, 'sqlite')) && Object.isFrozen(analyzeSql(text, 'sqlite').kinds), 'shared answers are frozen');
});

t.test('analyzeSql: statement kinds and multiStatement', async (t) => {
  const cases: Array<[SqlDialect, string, SqlKind, boolean]> = [
    ['postgres', 'SELECT 1', 'select', false],
    ['postgres', '  (SELECT 1) UNION (SELECT 2);  ', 'select', false],
    ['postgres', 'WITH x AS (SELECT 1) SELECT * FROM x', 'select', false],
    ['postgres', 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r', 'select', false],
    ['postgres', 'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', 'delete', false],
    ['postgres', 'WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x', 'insert', false],
    ['postgres', 'VALUES (1), (2)', 'select', false],
    ['postgres', 'TABLE users', 'select', false],
    ['postgres', 'SELECT * INTO backup FROM users', 'ddl', false],
    ['mysql', "SELECT * FROM t INTO OUTFILE '/tmp/x'", 'other', false],
    ['mysql', 'SELECT @a := 1 INTO @b', 'select', false],
    ['postgres', 'INSERT INTO t VALUES (1) ON CONFLICT DO UPDATE SET a = 1', 'insert', false],
    ['mysql', 'REPLACE INTO t VALUES (1)', 'insert', false],
    ['postgres', 'UPDATE t SET a = 1', 'update', false],
    ['sqlite', 'DELETE FROM t WHERE id = 1', 'delete', false],
    ['postgres', 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', 'delete', false],
    ['postgres', 'MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (1)', 'insert', false],
    ['postgres', 'CREATE TABLE t (a int)', 'ddl', false],
    ['mysql', 'ALTER TABLE t ADD COLUMN b int', 'ddl', false],
    ['sqlite', 'DROP TABLE IF EXISTS t', 'ddl', false],
    ['postgres', 'TRUNCATE t', 'ddl', false],
    ['postgres', "COMMENT ON TABLE t IS 'x'", 'ddl', false],
    ['postgres', 'GRANT SELECT ON t TO bob', 'dcl', false],
    ['mysql', 'REVOKE ALL ON *.* FROM bob', 'dcl', false],
    ['postgres', "CREATE ROLE bob LOGIN PASSWORD 'x'", 'dcl', false],
    ['mysql', "CREATE USER 'bob'@'%'", 'dcl', false],
    ['postgres', 'SET ROLE admin', 'dcl', false],
    ['postgres', 'SET SESSION AUTHORIZATION bob', 'dcl', false],
    ['postgres', 'BEGIN', 'tx', false],
    ['mysql', 'START TRANSACTION', 'tx', false],
    ['sqlite', 'COMMIT', 'tx', false],
    ['postgres', 'ROLLBACK TO SAVEPOINT s1', 'tx', false],
    ['postgres', 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', 'tx', false],
    ['postgres', 'SET search_path = app', 'other', false],
    ['mysql', 'SHOW TABLES', 'other', false],
    ['sqlite', 'PRAGMA table_info(t)', 'other', false],
    ['postgres', "COPY t TO PROGRAM 'sh'", 'other', false],
    ['sqlite', "ATTACH DATABASE 'x.db' AS x", 'other', false],
    ['postgres', 'EXPLAIN ANALYZE DELETE FROM t', 'delete', false],
    ['postgres', 'EXPLAIN SELECT 1', 'select', false],
    ['postgres', '', 'other', false],
    ['postgres', '-- only a comment', 'other', false],
    ['postgres', ';;', 'other', false],
    ['postgres', 'SELECT 1; SELECT 2', 'select', true],
    ['postgres', 'SELECT 1; DROP TABLE t', 'ddl', true],
    ['mysql', 'SELECT 1; -- trailing', 'select', false],
    ['mysql', "SELECT ';' FROM t", 'select', false],
    ['postgres', 'SELECT $$;$$, 1 /* ; */ -- ;', 'select', false],
    ['postgres', 'BEGIN; INSERT INTO t VALUES (1); COMMIT;', 'insert', true],
    ['postgres', 'BEGIN; COMMIT', 'tx', true],
    ['sqlite', 'CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE u SET n = n + 1; DELETE FROM v; END', 'ddl', false],
    ['sqlite', 'CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 1 END; END; SELECT 1', 'ddl', true],
    ['mysql', 'CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; SELECT 2; END', 'ddl', false],
    ['mysql', 'SELECT 1 /*!; DROP TABLE t */', 'ddl', true],
    ['postgres', 'select * from t', 'select', false],
    ['postgres', "SELECT 'x", 'select', false],
  ];
  for (const [d, sql, kind, multi] of cases) {
    const a = analyzeSql(sql, d);
    t.equal(a.kind, kind, `${d}: ${JSON.stringify(sql)} is ${kind}`);
    t.equal(a.multiStatement, multi, `${d}: ${JSON.stringify(sql)} multiStatement ${multi}`);
  }
  t.same(analyzeSql('BEGIN; UPDATE t SET a = 1; DELETE FROM u; COMMIT', 'postgres').kinds, ['tx', 'update', 'delete', 'tx']);
});

t.test('a 1 MB query with a 100 KB input completes, and still finds what is there', async (t) => {
  const big = 'lorem ipsum dolor sit amet, '.repeat(3700).slice(0, 100_000);
  const values = Array.from({ length: 90_000 }, (_, i) => String(i)).join(',');
  const filler = ` AND id IN (${values})`;
  const benignText = `SELECT * FROM docs WHERE body = '${big}'${filler}`;
  t.ok(benignText.length > 600_000, `query is ${benignText.length} chars`);
  for (const d of DIALECTS) {
    t.equal(detectSqlInjection({ driver: 'big', dialect: d, text: benignText }, [input(big)]), undefined, `${d}: benign 100 KB input`);
    const attack = `${big}' OR '1'='1`;
    const attackText = `SELECT * FROM docs WHERE body = '${attack}'${filler}`;
    t.ok(detectSqlInjection({ driver: 'big', dialect: d, text: attackText }, [input(attack)]), `${d}: attack at the end of a 100 KB input`);
    const many = Array.from({ length: 16 }, () => `'${big.slice(0, 5000)}'`).join(' || ');
    t.equal(detectSqlInjection({ driver: 'big', dialect: d, text: `SELECT ${many}${filler}` }, [input(big.slice(0, 5000))]), undefined, `${d}: many occurrences`);
    t.equal(analyzeSql(attackText, d).kind, 'select');
  }
  const mb = `SELECT * FROM docs WHERE body = '${big}'${filler}`.padEnd(1_000_000, ' ') + ' AND 1=1';
  t.ok(mb.length >= 1_000_000, '1 MB query');
  t.ok(tokenize(mb, 'postgres').length > 180_000, 'tokenized in one pass');
  t.equal(detectSqlInjection({ driver: 'big', dialect: 'postgres', text: mb }, [input(big)]), undefined);
});

t.test('inputs without character classes get the same verdicts', async (t) => {
  for (const dialect of DIALECTS) sameWithoutClasses(t, [...attacksFor(dialect), ...benignFor(dialect)], detectSqlInjection);
});
