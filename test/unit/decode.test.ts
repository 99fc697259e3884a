import t from 'tap';
import { base64Decode, decodedForms, hexDecode, htmlDecode, jsonUnescape, urlDecode } from '../../lib/taint/decode';

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
