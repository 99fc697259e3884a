import t from 'tap';
import {
  INTERNAL_CLASSES,
  classifyAddress,
  classifyHost,
  inspectAddress,
  isMetadataHost,
  parseHostSpelling,
  type AddressClass,
} from '../../lib/detectors/ip';
import { detectMetadataAccess, detectSsrf, inputChoosesHost } from '../../lib/detectors/ssrf';
import { attacks, benign, input } from './corpus/ssrf';
import { sameWithoutClasses } from './corpus/classes';

// Everything in this file is pure: no socket, no DNS. The egress guard
// (preloaded by tap) would fail the run if anything here tried either.

t.test('corpus size', async (t) => {
  t.ok(attacks.length >= 100, `${attacks.length} attacks`);
  t.ok(benign.length >= 100, `${benign.length} benign look-alikes`);
  t.comment(`attacks: ${attacks.length}, benign: ${benign.length}`);
});

t.test('every attack is caught', async (t) => {
  for (const c of attacks) {
    const f = detectSsrf(c.resource, c.inputs);
    if (f === undefined) {
      t.fail(`missed: ${c.name} (${JSON.stringify(c.resource)})`);
      continue;
    }
    t.equal(f.kind, 'ssrf', c.name);
    t.equal(f.input, c.inputs[c.inputs.length - 1], `${c.name}: names the attacking input`);
    if (c.class !== undefined) t.equal(f.detail?.['class'], c.class, `${c.name}: class`);
    t.equal(f.detail?.['host'], c.resource.host, `${c.name}: detail.host`);
    t.type(f.detail?.['address'], 'string');
  }
});

t.test('every attack is caught from inputs that carry no character classes (a source other than extraction)', async (t) => {
  let missed = 0;
  for (const c of attacks) {
    const bare = c.inputs.map(({ chars: _chars, ...rest }) => rest);
    if (detectSsrf(c.resource, bare) === undefined && missed++ < 5) t.fail(`missed without classes: ${c.name}`);
  }
  t.equal(missed, 0, `${attacks.length} attacks`);
});

t.test('every benign look-alike passes', async (t) => {
  for (const c of benign) {
    const f = detectSsrf(c.resource, c.inputs);
    t.equal(f, undefined, f === undefined ? c.name : `${c.name}: false positive (${f.reason})`);
  }
});

t.test('DNS rebinding: the connected address decides, not the name', async (t) => {
  const url = 'http://totally-public.example/avatar.png';
  const inputs = [input(url)];
  t.equal(detectSsrf({ url, host: 'totally-public.example', address: '93.184.216.34' }, inputs), undefined, 'first answer public');
  const f = detectSsrf({ url, host: 'totally-public.example', address: '127.0.0.1' }, inputs);
  t.equal(f?.detail?.['class'], 'loopback', 'second answer loopback');
  t.equal(f?.detail?.['via'], 'address');
  const m = detectSsrf({ url, host: 'totally-public.example', address: '169.254.169.254' }, inputs);
  t.equal(m?.detail?.['class'], 'metadata');
  t.match(m?.reason, "input chooses host 'totally-public.example', which connects to metadata address 169.254.169.254");
  const mapped = detectSsrf({ url, host: 'totally-public.example', address: '::ffff:10.1.2.3' }, inputs);
  t.equal(mapped?.detail?.['class'], 'private');
  t.equal(mapped?.detail?.['embedded'], 'ipv4-mapped');
});

t.test('a redirect is judged with the URL the app asked for and the address of the hop', async (t) => {
  // The hooks' convention: for a redirect hop, `url`/`rawHost` stay those of the
  // request the app made (that is where the input is), while `host`/`address`
  // are the hop's. The input chose the first host; the hop lands on metadata.
  const hop = { url: 'http://redirector.example/r', rawHost: 'redirector.example', host: '169.254.169.254', address: '169.254.169.254' };
  const f = detectSsrf(hop, [input('http://redirector.example/r')]);
  t.equal(f?.detail?.['class'], 'metadata');
  t.equal(f?.detail?.['host'], '169.254.169.254');
  // The app's own constant URL redirecting inward is not the input's doing…
  t.equal(detectSsrf(hop, [input('42', [], 'query.id')]), undefined);
  // …but a metadata destination is reported regardless of inputs.
  t.equal(detectMetadataAccess(hop)?.detail.class, 'metadata');
});

t.test('what the host decides is not carried over to a call with the same host and another rawHost', async (t) => {
  // The detector keeps the facts of the last host it saw. A direct call to the metadata IP (host and
  // rawHost one) says only inputs with digits can spell the host; the redirect hop to the same IP,
  // whose rawHost is the name the app asked for, must not inherit that: its input has no digit.
  const direct = { url: 'http://169.254.169.254/latest', host: '169.254.169.254', address: '169.254.169.254' };
  // Another host first, so what the earlier tests left behind does not decide the order of this one.
  t.equal(detectSsrf({ url: 'http://10.0.0.1/', host: '10.0.0.1' }, [input('latest', [], 'query.path')]), undefined);
  t.equal(detectSsrf(direct, [input('latest', [], 'query.path')]), undefined, 'a path word does not choose the IP');
  const hop = { url: 'http://redirector.example/r', rawHost: 'redirector.example', host: '169.254.169.254', address: '169.254.169.254' };
  t.equal(detectSsrf(hop, [input('http://redirector.example/r')])?.detail?.['class'], 'metadata', 'the hop after it is still caught');
  t.equal(detectSsrf(direct, [input('latest', [], 'query.path')]), undefined, 'and the direct call after the hop is judged as before');
});

t.test('no inputs, no finding; public destination, no finding', async (t) => {
  t.equal(detectSsrf({ url: 'http://127.0.0.1/', host: '127.0.0.1', address: '127.0.0.1' }, []), undefined);
  t.equal(detectSsrf({ url: 'http://example.com/', host: 'example.com', address: '93.184.216.34' }, [input('http://example.com/')]), undefined);
});

t.test('detectMetadataAccess works without any input', async (t) => {
  const yes = [
    { host: '169.254.169.254' },
    { host: 'metadata.google.internal' },
    { host: 'Metadata.Google.Internal.' },
    { host: 'x.example', address: '169.254.169.254' },
    { host: 'x.example', address: '::ffff:169.254.169.254' },
    { host: 'fd00:ec2::254' },
    { host: '[fd00:ec2::254]' },
    { host: '100.100.100.200' },
    { host: '2852039166' },
    { host: 'metadata.google.internal', address: '10.0.0.1' },
  ];
  for (const r of yes) {
    const m = detectMetadataAccess(r);
    t.equal(m?.kind, 'ssrf', JSON.stringify(r));
    t.equal(m?.detail.class, 'metadata');
    t.type(m?.detail.service, 'string');
  }
  for (const r of [{ host: '127.0.0.1' }, { host: 'example.com' }, { host: 'example.com', address: '93.184.216.34' }, { host: '10.0.0.1' }]) {
    t.equal(detectMetadataAccess(r), undefined, JSON.stringify(r));
  }
});

t.test('classifier: every class and spelling', async (t) => {
  const cases: Array<[string, AddressClass]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::1', 'loopback'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['2130706433', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['127.0.0.1.', 'loopback'],
    ['１２７.０.０.１', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['[fec0::1]', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['fc00::1', 'ula'],
    ['fdff:ffff::1', 'ula'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['0', 'unspecified'],
    ['::', 'unspecified'],
    ['[::]', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['2606:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:808:808::', 'public'],
    ['localhost', 'invalid'],
    ['example.com', 'invalid'],
    ['256.0.0.1', 'invalid'],
    ['1.2.3.4.5', 'invalid'],
    ['', 'invalid'],
    ['127.0.0.1/x', 'invalid'],
    ['a@127.0.0.1', 'invalid'],
    ['[::1', 'invalid'],
  ];
  for (const [a, cls] of cases) t.equal(classifyAddress(a), cls, `${JSON.stringify(a)} → ${cls}`);
  t.same(inspectAddress('[::ffff:127.0.0.1]').embedded, { form: 'ipv4-mapped', ipv4: '127.0.0.1' });
  t.same(inspectAddress('::127.0.0.1').embedded, { form: 'ipv4-compatible', ipv4: '127.0.0.1' });
  t.equal(inspectAddress('0x7f.1').address, '127.0.0.1');
  t.ok(INTERNAL_CLASSES.has('metadata') && !INTERNAL_CLASSES.has('public') && !INTERNAL_CLASSES.has('multicast'));
});

t.test('host spellings', async (t) => {
  const same: Array<[string, string]> = [
    ['2130706433', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['0x7f.0x0.0x0.0x1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['127.000.000.001', '127.0.0.1'],
    ['2852039166', '169.254.169.254'],
    ['0', '0.0.0.0'],
    ['10.0.0.1', '10.0.0.1'],
    ['[::1]', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['fe80::1%25eth0', 'fe80::1'],
  ];
  for (const [h, want] of same) t.equal(parseHostSpelling(h), want, h);
  for (const h of ['localhost', 'example.com', 'foo.0x1', '1.2.3.4.5', '256.1.1.1', 'a b', '', '127.0.0.1:80', 'x/127.0.0.1', '[example.com]']) {
    t.equal(parseHostSpelling(h), undefined, JSON.stringify(h));
  }
  t.ok(isMetadataHost('metadata.google.internal'));
  t.ok(isMetadataHost('METADATA.GOOGLE.INTERNAL.'));
  t.ok(isMetadataHost('metadata'));
  t.ok(isMetadataHost('instance-data'));
  t.notOk(isMetadataHost('metadata.example.com'));
  t.notOk(isMetadataHost('google.internal'));
  t.equal(classifyHost('localhost')?.class, 'loopback');
  t.equal(classifyHost('app.localhost')?.class, 'loopback');
  t.equal(classifyHost('example.com'), undefined);
});

t.test('inputChoosesHost', async (t) => {
  const r = { url: 'https://api.example.com/v1/users/42', host: 'api.example.com', address: '10.0.0.1' };
  t.notOk(inputChoosesHost(r, '42'), 'path input');
  t.notOk(inputChoosesHost(r, 'api'), 'a bare label inside an app-chosen name');
  t.ok(inputChoosesHost(r, 'api.example.com'), 'the whole host');
  t.ok(inputChoosesHost(r, 'https://api.example.com/v1/users/42'), 'the whole URL');
  t.ok(inputChoosesHost({ ...r, url: 'https://api.example.com.evil.example/v1' }, '.evil.example'), 'added labels');
  t.ok(inputChoosesHost({ url: 'http://127.0.0.1/', host: '127.0.0.1' }, '2130706433'), 'a different spelling of the same host');
  t.notOk(inputChoosesHost({ url: 'http://127.0.0.1:9200/', host: '127.0.0.1', port: 9200 }, 'http://127.0.0.1:3000/'), 'same host, another port');
});

t.test('never throws on random input', async (t) => {
  const parts = ['http://', 'https://', '//', '@', ':', '[', ']', '::', 'ffff', '127', '0x7f', '.', '1', '/', '#', '?', '%', 'a', 'localhost', ' ', '\\', '0'];
  let seed = 11;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    let x = '';
    const len = rnd(10);
    for (let j = 0; j < len; j++) x += parts[rnd(parts.length)];
    classifyAddress(x);
    parseHostSpelling(x);
    detectSsrf({ url: x, host: x, rawHost: x, address: x }, [input(x)]);
    detectMetadataAccess({ host: x, address: x });
  }
  t.pass('3000 random hosts/URLs, no exception');
});

t.test('inputs without character classes get the same verdicts', async (t) => {
  sameWithoutClasses(t, [...attacks, ...benign], detectSsrf);
});
