import t from 'tap';
import { bareHost, followsRedirectsThrough, knownAddress, rawHostOf, targetFromUrl } from '../../hooks/net';
import { fetchTarget } from '../../hooks/fetch';

// What the call-time hooks read out of a URL: the host as spelled (for
// taint), the host as connected, the port and the address when it is known
// before DNS.

t.test('rawHostOf keeps the spelling the app passed', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['http://0x7f.1:8080/x', '0x7f.1'],
    ['http://2130706433/', '2130706433'],
    ['http://user:pw@Example.COM:81/p?q#f', 'Example.COM'],
    ['http://[::ffff:127.0.0.1]:1/', '[::ffff:127.0.0.1]'],
    ['http:///\\\\evil.test/x', 'evil.test'],
    ['https://a@b@c.test/', 'c.test'],
    ['http://host.test', 'host.test'],
    ['http://host.test?x=1', 'host.test'],
    ['not a url', undefined],
  ];
  for (const [url, host] of cases) t.equal(rawHostOf(url), host, url);
});

t.test('targetFromUrl: WHATWG spellings become the address they connect to', async (t) => {
  const cases: Array<[string, string, string | undefined, number]> = [
    ['http://127.0.0.1:1/', '127.0.0.1', '127.0.0.1', 1],
    ['http://2130706433/', '127.0.0.1', '127.0.0.1', 80],
    ['http://0x7f.1/', '127.0.0.1', '127.0.0.1', 80],
    ['http://0177.0.0.1/', '127.0.0.1', '127.0.0.1', 80],
    ['https://127.1/', '127.0.0.1', '127.0.0.1', 443],
    ['http://[::1]:9/', '::1', '::1', 9],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1', '::ffff:7f00:1', 80],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254', 'fd00:ec2::254', 80],
    ['http://0xa9fea9fe/', '169.254.169.254', '169.254.169.254', 80],
    ['http://never-resolved.test/', 'never-resolved.test', undefined, 80],
  ];
  for (const [url, host, address, port] of cases) {
    const tg = targetFromUrl(url);
    t.equal(tg?.host, host, `${url} host`);
    t.equal(tg?.address, address, `${url} address`);
    t.equal(tg?.port, port, `${url} port`);
    t.equal(tg?.url, url, `${url}: url kept as passed`);
  }
  t.equal(targetFromUrl('relative/path'), undefined);
  t.equal(targetFromUrl('file:///etc/passwd'), undefined, 'no host, not a network destination');
});

t.test('credentials never reach the operation', async (t) => {
  const tg = targetFromUrl('http://admin:s3cret@internal.test:8080/x');
  t.equal(tg?.url, 'http://internal.test:8080/x');
  t.equal(tg?.rawHost, 'internal.test');
  t.notMatch(JSON.stringify(tg), 's3cret');
});

t.test('fetch inputs: string, URL, Request, URL look-alike', async (t) => {
  t.equal(fetchTarget('http://127.0.0.1/')?.host, '127.0.0.1');
  t.equal(fetchTarget(new URL('http://[::1]/'))?.host, '::1');
  t.equal(fetchTarget(new Request('http://localhost:3/'))?.port, 3);
  t.equal(fetchTarget({ href: 'http://0x7f.1/' })?.address, '127.0.0.1');
  t.equal(fetchTarget(42), undefined);
});

t.test('helpers', async (t) => {
  t.equal(bareHost('[::1]'), '::1');
  t.equal(bareHost('::1'), '::1');
  t.equal(knownAddress('0x7f.1'), '127.0.0.1');
  t.equal(knownAddress('unknown-name.test'), undefined, 'a name never resolved here has no address yet');
  t.equal(followsRedirectsThrough({}), true);
  class ProxyAgent {}
  t.equal(followsRedirectsThrough(new ProxyAgent()), false, 'through a proxy, other hosts are the proxy');
});
