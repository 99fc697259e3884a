import t from 'tap';
import { LONG_VALUE } from '../../lib/taint/bytes';
import { CH_DIGIT, CH_NONASCII, CH_NONWORD, CH_SLASH, CH_URL_MARK, __readBytesFrom, base64Decode, charsOf, classify, decodedForms, hexDecode, htmlDecode, jsonUnescape, urlDecode } from '../../lib/taint/decode';

/** `count` strings over `alphabet`, of `min` to `max` characters, from a fixed seed: the same every run. */
function randomStrings(alphabet: string, count: number, min: number, max: number, seed: number): string[] {
  const out: string[] = [];
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < count; i++) {
    let s = '';
    const len = min + rnd(max - min + 1);
    for (let j = 0; j < len; j++) s += alphabet[rnd(alphabet.length)];
    out.push(s);
  }
  return out;
}

t.test('each decoder', async (t) => {
  t.equal(urlDecode('a%3Bb+c'), 'a;b c');
  t.equal(urlDecode('%ZZ%3B'), '%ZZ;', 'malformed escapes do not hide valid ones');
  t.equal(urlDecode('plain'), undefined);
  t.equal(base64Decode(Buffer.from('.;touch /tmp/x').toString('base64')), '.;touch /tmp/x');
  t.equal(base64Decode(Buffer.from('; id').toString('base64url')), '; id');
  t.equal(base64Decode('hello'), undefined, 'not valid base64 length');
  t.equal(base64Decode(Buffer.from([0, 1, 2, 3, 250]).toString('base64')), undefined, 'binary is not printable');
  t.equal(jsonUnescape('a\\u0027b\\"c'), 'a\'b"c');
  t.equal(jsonUnescape('no escapes'), undefined);
  t.equal(htmlDecode('&lt;script&gt; &#59; &#x3b; &amp;'), '<script> ; ; &');
  t.equal(htmlDecode('a & b'), undefined);
  t.equal(hexDecode('3b20696420'), '; id ');
  t.equal(hexDecode('deadbeef'), undefined, 'binary hex is not text');
});

t.test('forms remember their chain and nest', async (t) => {
  const inner = Buffer.from('; cat /etc/passwd').toString('base64');
  const forms = decodedForms(encodeURIComponent(inner));
  t.ok(forms.find((f) => f.value === '; cat /etc/passwd' && f.decoding.join(',') === 'url,base64'), 'url then base64');
  t.same(decodedForms('report.txt'), [], 'plain text has no decoded forms');
  t.ok(decodedForms('x'.repeat(10000)).length <= 6, 'bounded');
});

/** Every decoder tried on every value, as a reference for decodedForms' one-pass pre-screen. */
function allDecoders(raw: string): Array<{ value: string; decoding: string[] }> {
  const decoders: Array<[string, (v: string) => string | undefined]> = [
    ['url', urlDecode],
    ['base64', base64Decode],
    ['json', jsonUnescape],
    ['html', htmlDecode],
    ['hex', hexDecode],
  ];
  const out: Array<{ value: string; decoding: string[] }> = [];
  const expand = (v: string, chain: string[], depth: number): void => {
    if (depth >= 2 || out.length >= 6) return;
    for (const [name, decode] of decoders) {
      const d = decode(v);
      if (d === undefined || d === v || d.length === 0 || out.some((f) => f.value === d)) continue;
      out.push({ value: d, decoding: [...chain, name] });
      if (out.length >= 6) return;
      expand(d, [...chain, name], depth + 1);
    }
  };
  expand(raw, [], 0);
  return out;
}

t.test('the pre-screen never hides a form a decoder would find', async (t) => {
  // Encoded payloads in every scheme and chain, plus random strings over the characters the decoders care about.
  const payloads = ['; id', '../../etc/passwd', "' OR 1=1 --", 'http://127.0.0.1/', '$(whoami)', 'café/über'];
  const samples: string[] = [];
  for (const p of payloads) {
    const b64 = Buffer.from(p).toString('base64');
    samples.push(encodeURIComponent(p), b64, Buffer.from(p).toString('base64url'), Buffer.from(p).toString('hex'), `0x${Buffer.from(p).toString('hex')}`);
    samples.push(encodeURIComponent(b64), Buffer.from(encodeURIComponent(p)).toString('base64'), JSON.stringify(p).slice(1, -1).replace(/'/g, '\\u0027'));
    samples.push(p.replace(/[<>&;/'"]/g, (c) => `&#${c.charCodeAt(0)};`), b64.replace(/=+$/, ''), `${b64}==`);
  }
  const alphabet = 'aZ09+/=-_%&;#x\\u"\'. é3bF';
  samples.push(...randomStrings(alphabet, 20000, 1, 14, 42));
  // Long values are read from their UTF-8 bytes (lib/taint/bytes.ts): long encoded payloads and random text too.
  const long = "' UNION SELECT password FROM users WHERE name LIKE '%admin%' -- café";
  samples.push(Buffer.from(long).toString('base64'), encodeURIComponent(long), Buffer.from(long).toString('hex'), `${Buffer.from(long).toString('base64')}=`);
  samples.push(...randomStrings(alphabet, 2000, 28, 90, 43));
  let mismatches = 0;
  for (const s of samples) {
    const got = decodedForms(s).map((f) => ({ value: f.value, decoding: f.decoding }));
    const want = allDecoders(s);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      if (mismatches++ < 5) t.same(got, want, `decodedForms(${JSON.stringify(s.slice(0, 60))}, ${s.length} characters)`);
    }
  }
  t.equal(mismatches, 0, `${samples.length} values, same forms as trying every decoder`);
  const encoded = payloads.flatMap((_, i) => samples.slice(i * 11, i * 11 + 5)); // url, base64, base64url, hex, 0x-hex
  t.ok(encoded.every((s) => decodedForms(s).length > 0), 'every url/base64/hex-encoded payload has a decoded form');
});

t.test('character classes match their definitions', async (t) => {
  // Detectors skip inputs on these bits (SQL: words; SSRF: no digit, and no '/', '?', '#' or '@' to look for; path:
  // no '/'), so a wrong bit is a missed attack.
  const reference = (v: string): number =>
    (/[0-9]/.test(v) ? CH_DIGIT : 0) |
    (/[^0-9A-Za-z_]/.test(v) ? CH_NONWORD : 0) |
    (/[^\x00-\x7f]/.test(v) ? CH_NONASCII : 0) |
    (v.includes('/') ? CH_SLASH : 0) |
    (/[@?#]/.test(v) ? CH_URL_MARK : 0);
  const samples = ['', 'platform', 'SKU_1', 'a=', 'ab==', '=', "x'", 'a b', 'é', '１２７', '/etc', '2130706433', 'a-b', 'x+y', 'a%2f', 'tab\t'];
  samples.push('u@127.0.0.1', '127.0.0.1?x', '127.0.0.1#x', '@', '?', '#');
  const alphabet = 'aZ09_=/+%-. é\'"\\\x00１@?#';
  samples.push(...randomStrings(alphabet, 5000, 0, 8, 7));
  samples.push(...randomStrings(alphabet, 2000, 28, 120, 8), 'a'.repeat(20000) + 'é', `${'b'.repeat(16383)}é/`);
  let mismatches = 0;
  for (const s of samples) {
    if (charsOf(s) !== reference(s) && mismatches++ < 5) t.equal(charsOf(s), reference(s), `charsOf(${JSON.stringify(s.slice(0, 60))}, ${s.length} characters)`);
  }
  t.equal(mismatches, 0, `${samples.length} values`);
  t.ok(decodedForms('%27%20OR%201%3D1').every((f) => f.chars === charsOf(f.value)), 'decoded forms carry their own classes');
});

t.test('a long value reads the same from its bytes as by character', async (t) => {
  // Non-ASCII, astral and lone surrogates, padding, and values longer than the byte buffer (16 KB).
  const alphabet = 'aZ09_=/+%-&\\.x é中\ud83d\ude00\ud800\u0080\u007f';
  const samples = randomStrings(alphabet, 3000, 30, 200, 11);
  samples.push(...randomStrings('aZ09+/', 200, 30, 200, 12).map((s) => `${s}==`), ...randomStrings('0123456789abcdef', 200, 30, 64, 13));
  samples.push('A'.repeat(16384) + '==', `${'7'.repeat(16383)}é9`, `${'Q'.repeat(16384)}/`, '中'.repeat(6000) + 'a');
  let mismatches = 0;
  for (const s of samples) {
    const bytes = classify(s);
    __readBytesFrom(Infinity);
    const chars = classify(s);
    __readBytesFrom(LONG_VALUE);
    if (bytes !== chars && mismatches++ < 5) t.equal(bytes, chars, `classify(${JSON.stringify(s.slice(0, 40))}…, ${s.length} characters)`);
  }
  t.equal(mismatches, 0, `${samples.length} values`);
});

t.test('base64 and url decoding agree with a plain Buffer / decodeURIComponent reference', async (t) => {
  // The decoders assemble ASCII text themselves and skip the URI decoder when there is no '%';
  // this reference takes the long way round every time.
  const printable = (s: string): boolean => /[A-Za-z]/.test(s) && !/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]/.test(s);
  const refBase64 = (v: string): string | undefined => {
    const m = /^[A-Za-z0-9+/_-]*(={0,2})$/.exec(v);
    if (v.length < 4 || m === null || (v.length - m[1]!.length) % 4 === 1) return undefined;
    const text = Buffer.from(v, 'base64').toString('utf8');
    return text.length > 0 && printable(text) ? text : undefined;
  };
  const refUrl = (v: string): string | undefined => {
    if (!v.includes('%') && !v.includes('+')) return undefined;
    const plus = v.replace(/\+/g, ' ');
    try {
      return decodeURIComponent(plus);
    } catch {
      return plus.replace(/%[0-9a-fA-F]{2}/g, (e) => String.fromCharCode(parseInt(e.slice(1), 16)));
    }
  };
  const samples = ['city', 'Li4v', 'Y2Fmw6kvw7xiZXI=', 'w6k=', 'AAECAw==', '+44 20 7946 0958', 'a+b%2', '%E2%82%AC+x', 'x%ZZ+y'];
  for (const p of ['; id', '../../etc/passwd', 'café/über', '€ 5', 'tab\there', 'line\nbreak', '\x01ctl', 'ÿþ']) {
    samples.push(Buffer.from(p).toString('base64'), Buffer.from(p).toString('base64url'), Buffer.from(p, 'latin1').toString('base64'));
  }
  const alphabet = 'AZaz09+/=-_wxyz%é ';
  samples.push(...randomStrings(alphabet, 20000, 1, 16, 99));
  let mismatches = 0;
  for (const s of samples) {
    if (base64Decode(s) !== refBase64(s) && mismatches++ < 5) t.equal(base64Decode(s), refBase64(s), `base64Decode(${JSON.stringify(s)})`);
    if (urlDecode(s) !== refUrl(s) && mismatches++ < 5) t.equal(urlDecode(s), refUrl(s), `urlDecode(${JSON.stringify(s)})`);
  }
  t.equal(mismatches, 0, `${samples.length} values`);
  t.equal(base64Decode(Buffer.from('café/über').toString('base64')), 'café/über', 'non-ASCII text still decodes');
  t.equal(base64Decode('city'), 'r+r', 'ASCII text assembled in the pass');
});
