import t from 'tap';
import { BigramIndex } from '../../lib/taint/overlap';

t.test('the bigram index answers for the payload indexed last, however many came before', async (t) => {
  const idx = new BigramIndex();
  // Each payload is stamped with its own generation: none of the earlier ones may answer for the last.
  for (const before of [0, 1, 254, 255, 256, 1000]) {
    idx.index('SELECT id FROM users WHERE name = $1');
    for (let i = 0; i < before; i++) idx.index(`payload number ${i}`);
    idx.index('/srv/app/templates/receipt.txt');
    t.ok(idx.mayOccur('templates'), `${before}: a substring may occur`);
    t.ok(idx.mayOccur('/srv/app/templates/receipt.txt'), `${before}: the whole payload may occur`);
    t.notOk(idx.mayOccur('SELECT id'), `${before}: an earlier payload's text does not`);
    t.notOk(idx.mayOccur('QQQQ'), `${before}: text it never held does not`);
  }
});

t.test('an index whose payload another has written over since rules nothing out', async (t) => {
  // Every index writes one table: the earlier one must not answer from the later one's stamps.
  const sql = new BigramIndex();
  const path = new BigramIndex();
  sql.index("SELECT id FROM users WHERE name = 'x' OR 1=1");
  t.notOk(sql.mayOccur('QQQQ'), 'its own payload: text it never held is ruled out');
  path.index('/srv/app/templates/receipt.txt');
  t.ok(sql.mayOccur("' OR 1=1"), 'after another index: its own text may still occur');
  t.ok(sql.mayOccur('QQQQ'), 'and nothing is ruled out');
  t.notOk(path.mayOccur('QQQQ'), 'the later index filters as before');
  sql.index("SELECT id FROM users WHERE name = 'x' OR 1=1");
  t.notOk(sql.mayOccur('QQQQ'), 'indexed again, it filters again');
});

t.test('text in other scripts is ruled out as ASCII is, short payloads and long', async (t) => {
  // A Russian or Japanese app's inputs are mostly non-ASCII: the filter must not wave them all through to a search.
  const idx = new BigramIndex();
  for (const payload of ["SELECT id FROM users WHERE city = 'Zoë'", `SELECT ${'"c", '.repeat(40)}"id" FROM users WHERE city = 'Zoë'`, '/srv/app/data/отчёт.txt']) {
    idx.index(payload);
    const at = `${payload.length} characters`;
    t.notOk(idx.mayOccur('Привет мир'), `${at}: Cyrillic text it does not hold`);
    t.notOk(idx.mayOccur('東京都の住所'), `${at}: Japanese text it does not hold`);
    t.notOk(idx.mayOccur('Müller'), `${at}: Latin-1 text it does not hold`);
  }
  t.ok(idx.mayOccur('отчёт'), 'Cyrillic text it holds may occur');
});

// A small deterministic generator: the same cases on every run.
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

// ASCII, Latin-1, CJK, an astral character (a surrogate pair) and lone surrogates.
const PIECES = ['a', 'b', 'S', "'", ' ', '/', '.', '1', 'é', 'ü', '中', '文', '😀', '\ud800', '\udc00', '\u0000', '\u007f', '\u0080'];

function randomText(next: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += PIECES[Math.floor(next() * PIECES.length)]!;
  return s;
}

t.test('the bigram index never rules out text the payload holds, in any script, at any length', async (t) => {
  const next = rng(31);
  const idx = new BigramIndex();
  let checked = 0;
  let missed = 0;
  // Lengths on both sides of where payloads are read as UTF-8 bytes, and past the byte buffer (16 KB).
  for (const n of [2, 5, 31, 32, 33, 64, 200, 1000, 6000, 20000]) {
    for (let round = 0; round < 20; round++) {
      const payload = randomText(next, n);
      idx.index(payload);
      for (let k = 0; k < 40; k++) {
        const len = 2 + Math.floor(next() * Math.min(12, payload.length - 1));
        const at = Math.floor(next() * (payload.length - len + 1));
        const v = payload.slice(at, at + len);
        if (v.length < 2) continue;
        checked++;
        if (!idx.mayOccur(v)) missed++;
      }
    }
  }
  t.ok(checked > 5000, `${checked} substrings checked`);
  t.equal(missed, 0, 'no substring of the payload was ruled out');
});

t.test('a long payload is still a filter: text it does not hold is ruled out', async (t) => {
  const idx = new BigramIndex();
  const query = `SELECT ${Array.from({ length: 30 }, (_, i) => `"Order"."col_${i}" AS "c${i}"`).join(', ')} FROM "orders" WHERE "id" = $1`;
  t.ok(query.length > 600, 'a long query');
  idx.index(query);
  t.ok(idx.mayOccur('"Order"."col_17"'), 'text it holds may occur');
  t.notOk(idx.mayOccur('alice@example.com'), 'an email it does not hold is ruled out');
  t.notOk(idx.mayOccur('Baker Street'), 'an address it does not hold is ruled out');
  // Non-ASCII in the payload: the ASCII pairs around it are indexed as they stand.
  idx.index(`${'x'.repeat(40)} WHERE name = 'Zoë Müller' AND city = '東京'`);
  t.ok(idx.mayOccur('Zoë Müller'), 'a name with accents it holds may occur');
  t.ok(idx.mayOccur("= '東京'"), 'text with CJK it holds may occur');
  t.notOk(idx.mayOccur('Baker Street'), 'text it does not hold is still ruled out');
  // Past the byte buffer: the tail is read by character, across a non-ASCII character at the seam.
  const long = `${'q'.repeat(16 * 1024 - 1)}é' OR 1=1 --`;
  idx.index(long);
  t.ok(idx.mayOccur("é' OR 1=1 --"), 'text at the end of a payload longer than the buffer may occur');
  t.ok(idx.mayOccur("' OR"), 'its ASCII part may occur');
  t.notOk(idx.mayOccur('UNION SELECT'), 'text it does not hold is ruled out past the buffer too');
  // The buffer full at an ASCII pair: the pair across the seam is indexed.
  idx.index(`${'q'.repeat(16 * 1024)}' OR 1=1 --`);
  t.ok(idx.mayOccur("q' OR"), 'text across the seam may occur');
});
