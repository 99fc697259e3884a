/**
 * SSRF corpus. Pure: no socket is opened and no resolver is asked. Each case
 * builds the NetResource a hook would: `url` as the app passed it, `host` as
 * the URL parser (or the options object) gives it, and `address` as the
 * connect-time lookup would answer — from the `DNS` table below, which
 * simulates resolver answers (including rebinding names that look public).
 */
import type { NetResource, TaintInput } from '../../../lib/types';
import { charsOf } from '../../../lib/taint/decode';
import { parse as legacyParse } from 'node:url';

export interface SsrfCase {
  name: string;
  resource: NetResource;
  inputs: TaintInput[];
  /** Attacks: the class detail.class must report. */
  class?: string;
}

export function input(value: string, decoding: string[] = [], source = 'query.url'): TaintInput {
  // With the character classes extraction sets, so the detectors' pre-filters are judged too.
  return { source, value, decoding, chars: charsOf(value) };
}

/** Simulated DNS answers. */
export const DNS: Readonly<Record<string, string>> = {
  localhost: '127.0.0.1',
  'localhost.': '127.0.0.1',
  'api.localhost': '127.0.0.1',
  'metadata.google.internal': '169.254.169.254',
  metadata: '169.254.169.254',
  'instance-data': '169.254.169.254',
  'rebind.attacker.example': '127.0.0.1',
  'meta.attacker.example': '169.254.169.254',
  'v6.attacker.example': '::1',
  'mapped.attacker.example': '::ffff:127.0.0.1',
  'internal.attacker.example': '10.0.0.5',
  'api.example.com.attacker.example': '192.168.0.10',
  'redis.svc.cluster.local': '10.96.0.12',
  'orders.svc.cluster.local': '10.96.0.20',
  'example.com': '93.184.216.34',
  'api.github.com': '140.82.112.6',
  'api.stripe.com': '54.187.174.169',
  'hooks.slack.com': '34.226.36.32',
  'images.example.org': '2606:2800:220:1:248:1893:25c8:1946',
  'cdn.example.net': '151.101.1.1',
  'api.example.com': '203.0.114.7',
  'www.google.com': '142.250.72.4',
  '1.2.3.4.nip.io': '1.2.3.4',
  'webhook.site': '46.4.105.116',
};

/** What the connect-time lookup would give for a URL host (IP literals connect as themselves). */
export function addressOf(hostname: string): string | undefined {
  const h = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (/^[0-9.]+$/.test(h) || h.includes(':')) return h;
  return DNS[h.toLowerCase()];
}

/** fetch/axios/got with a URL string: the hook sees the string and the parsed host. */
function urlResource(url: string): NetResource {
  const u = new URL(url);
  const r: NetResource = { url, host: u.hostname.replace(/^\[|\]$/g, ''), rawHost: u.host.replace(/:\d+$/, ''), protocol: u.protocol };
  if (u.port !== '') r.port = Number(u.port);
  const a = addressOf(u.hostname);
  if (a !== undefined) r.address = a;
  return r;
}

export function urlCase(template: string, x: string | TaintInput, cls?: string, extra: TaintInput[] = []): SsrfCase {
  const i = typeof x === 'string' ? input(x) : x;
  const url = template.split('§').join(i.value);
  const c: SsrfCase = { name: `fetch(${JSON.stringify(template)}) ← ${JSON.stringify(i.value)}`, resource: urlResource(url), inputs: [...extra, i] };
  if (cls !== undefined) c.class = cls;
  return c;
}

/** http.request({ host: x, port }) — no URL, the host exactly as given. */
export function optionsCase(host: string, port: number, cls?: string, address = addressOf(host)): SsrfCase {
  const r: NetResource = { host, rawHost: host, port, protocol: 'http:' };
  if (address !== undefined) r.address = address;
  const c: SsrfCase = { name: `http.request({ host: ${JSON.stringify(host)} })`, resource: r, inputs: [input(host, [], 'body.host')] };
  if (cls !== undefined) c.class = cls;
  return c;
}

/** A hook that hands the detector `new URL(x).href`: the input's spelling is gone from `url`. */
export function normalisedCase(x: string, cls?: string): SsrfCase {
  const c = urlCase('§', x, cls);
  const href = new URL(x).href;
  const u = new URL(href);
  c.name = `normalised href ← ${JSON.stringify(x)}`;
  c.resource = { ...c.resource, url: href, rawHost: u.hostname };
  return c;
}

/** `new URL(x, base).href`: an input the app resolves against its own http(s) base (`//host`, `/\\host`). */
export function relativeCase(x: string, cls?: string): SsrfCase {
  const href = new URL(x, 'https://app.example/').href;
  const c = normalisedCase(href, cls);
  c.name = `resolved href ${href} ← ${JSON.stringify(x)}`;
  c.inputs = [input(x)];
  return c;
}

/**
 * `http://${x}:9200/x`: the app takes only the host from the input and chooses scheme, port and path. The hook
 * sees the URL without userinfo (hooks/net.ts, targetFromUrl), as a client sends it.
 */
export function authorityCase(x: string, cls?: string): SsrfCase {
  const u = new URL(`http://${x}:9200/x`);
  u.username = '';
  u.password = '';
  const c = urlCase('§', u.href, cls);
  c.name = `http://\${input}:9200/x, connecting to ${u.href} ← ${JSON.stringify(x)}`;
  c.resource = { ...c.resource, rawHost: u.hostname };
  c.inputs = [input(x, [], 'body.host')];
  return c;
}

/**
 * `http.request(url.parse(`http://${x}:9200/x`))`: the legacy parser ends a host at characters where the WHATWG
 * parser reads on or fails (`127.0.0.1;x`, `127.0.0.1:x`), and the request connects to what it read, as the
 * http hook's httpTarget builds it from the options.
 */
export function legacyCase(x: string, cls?: string): SsrfCase {
  const u = legacyParse(`http://${x}:9200/x`);
  const host = u.hostname ?? '';
  const port = u.port !== null && u.port !== '' ? Number(u.port) : 80;
  const r: NetResource = { url: `http://${host}:${port}${u.path ?? '/'}`, host, rawHost: host, port, protocol: 'http:' };
  const a = addressOf(host);
  if (a !== undefined) r.address = a;
  const c: SsrfCase = { name: `http.request(url.parse(\`http://\${input}:9200/x\`)), connecting to ${host}:${port} ← ${JSON.stringify(x)}`, resource: r, inputs: [input(x, [], 'body.host')] };
  if (cls !== undefined) c.class = cls;
  return c;
}

/** The input is `host:port` in any spelling; the hook connects to the normalised URL built from it. */
export function hostPortCase(hostPort: string, cls?: string, port = hostPort.slice(hostPort.lastIndexOf(':') + 1)): SsrfCase {
  const href = new URL(`http://${hostPort}/`).href;
  const c = urlCase('§', href, cls);
  const u = new URL(href);
  c.name = `normalised href ${href} ← ${JSON.stringify(hostPort)} (the connected port is ${port})`;
  c.resource = { ...c.resource, url: `http://${u.hostname}:${port}/`, rawHost: u.hostname, port: Number(port) };
  c.inputs = [input(hostPort, [], 'headers.host')];
  return c;
}

// Internal destinations in every spelling, with the class they must be reported as.
const INTERNAL_HOSTS: Array<[string, string]> = [
  ['127.0.0.1', 'loopback'],
  ['localhost', 'loopback'],
  ['LOCALHOST', 'loopback'],
  ['localhost.', 'loopback'],
  ['api.localhost', 'loopback'],
  ['[::1]', 'loopback'],
  ['[::ffff:127.0.0.1]', 'loopback'],
  ['[::ffff:7f00:1]', 'loopback'],
  ['[0:0:0:0:0:ffff:127.0.0.1]', 'loopback'],
  ['[::127.0.0.1]', 'loopback'],
  ['2130706433', 'loopback'],
  ['0x7f.1', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['017700000001', 'loopback'],
  ['127.1', 'loopback'],
  ['127.0.1', 'loopback'],
  ['127.000.000.001', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['0', 'unspecified'],
  ['0.0.0.0', 'unspecified'],
  ['[::]', 'unspecified'],
  ['10.0.0.5', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.254', 'private'],
  ['192.168.1.1', 'private'],
  ['0xc0a80101', 'private'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.254', 'cgnat'],
  ['[fc00::1]', 'ula'],
  ['[fd12:3456:789a::1]', 'ula'],
  ['[fe80::1]', 'link-local'],
  ['169.254.1.1', 'link-local'],
  ['169.254.169.254', 'metadata'],
  ['2852039166', 'metadata'],
  ['0xa9fea9fe', 'metadata'],
  ['0251.0376.0251.0376', 'metadata'],
  ['[::ffff:169.254.169.254]', 'metadata'],
  ['[::ffff:a9fe:a9fe]', 'metadata'],
  ['[fd00:ec2::254]', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['168.63.129.16', 'metadata'],
  ['metadata.google.internal', 'metadata'],
  ['metadata', 'metadata'],
  ['instance-data', 'metadata'],
  ['rebind.attacker.example', 'loopback'],
  ['meta.attacker.example', 'metadata'],
  ['v6.attacker.example', 'loopback'],
  ['mapped.attacker.example', 'loopback'],
  ['internal.attacker.example', 'private'],
];

export const attacks: SsrfCase[] = [
  ...INTERNAL_HOSTS.map(([h, cls]) => urlCase('§', `http://${h}/admin`, cls)),
  ...INTERNAL_HOSTS.map(([h, cls]) => urlCase('http://§/api/v1/status', h, cls)),
  ...INTERNAL_HOSTS.filter(([h]) => !h.startsWith('[')).map(([h, cls]) => urlCase('https://§:8443/health', h, cls)),
  ...INTERNAL_HOSTS.filter(([h]) => !h.startsWith('[') && !/^0x|^0\d|^\d+$/.test(h)).slice(0, 12).map(([h, cls]) => optionsCase(h, 80, cls)),
  ...['http://127.0.0.1:6379/', 'http://[::ffff:127.0.0.1]/', 'http://2130706433/', 'http://0x7f.1/', 'http://169.254.169.254/latest/meta-data/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://%31%32%37.0.0.1/', 'http://LocalHost./', 'http://１２７.０.０.１/']
    .map((x) => normalisedCase(x)),
  // A name whose host text holds '%' or '\\' after its first letters: the URL parser decodes or cuts there.
  ...['http://loc%61lhost/', 'http://api.loc%61lhost/x', 'http://localhost\\admin', 'http://LOCALHOST\\x/y'].map((x) => normalisedCase(x, 'loopback')),
  // Numeric IPv4 spellings the URL parser rewrites (read without a URL parse by the detector's fast path).
  ...INTERNAL_HOSTS.filter(([h]) => /^[0-9.]+$/.test(h)).flatMap(([h, cls]) => [normalisedCase(`http://${h}/`, cls), hostPortCase(`${h}:8080`, cls)]),
  hostPortCase('127.1.', 'loopback'),
  // Userinfo before a numeric spelling: the host starts after the '@', not at the input's first letter.
  hostPortCase('user@2130706433:8080', 'loopback', '8080'),
  hostPortCase('a.b-c+d@0x7f.1:8080', 'loopback', '8080'),
  // Schemes as the URL parser reads them: leading spaces, upper case, tabs and newlines it drops.
  ...['  http://2130706433/', 'HTTP://LOCALHOST./x', 'ht\ttp://0x7f.1/', 'h\nttp://2130706433/', 'http\r://127.1/', 'HtTp://0177.0.0.1/'].map((x) => normalisedCase(x)),
  // Tabs and newlines inside the host text: the URL parser drops them there too, so the host the app connects to
  // is spelt by the input without them.
  ...['http://127.0.0.\t1/', 'http://127.0.0.1\n/', 'http://0x7f.\r1/', 'http://2130\t706433/', 'http://\t127.0.0.1/'].map((x) => normalisedCase(x)),
  ...['http://loc\talhost/', 'http://local\nhost:8080/x', 'http://LOCAL\r\nHOST./'].map((x) => normalisedCase(x, 'loopback')),
  hostPortCase('127.0.\t0.1:8080', 'loopback', '8080'),
  // After a special scheme the URL parser skips any run of '/' and '\\', none included; against an http(s) base a
  // leading run of two or more starts a host.
  ...['http:127.0.0.1', 'HTTP:\\\\127.0.0.1/x', 'ws:2130706433', 'wSs:0x7f.1', 'http:///127.0.0.1', 'http:\\/0x7f.1/', 'ftp:127.1'].map((x) => normalisedCase(x)),
  ...['https:/\\/localhost:8443/x', 'Http:localhost'].map((x) => normalisedCase(x, 'loopback')),
  ...['/\\127.0.0.1/x', '\\/2130706433', '///127.0.0.1', '  //0x7f.1/'].map((x) => relativeCase(x, 'loopback')),
  // Leading and trailing controls and spaces, which the URL parser drops (and an app that trims).
  ...['http://127.0.0.1 ', 'http://2130706433\x0b', ' http://0x7f.1\x00', 'http://127.0.0.1:8080\x1f'].map((x) => normalisedCase(x)),
  ...['http://localhost ', 'http://LOCALHOST.\x00'].map((x) => normalisedCase(x, 'loopback')),
  // A percent-encoded host with what the parser drops after it: dropped before the host is decoded.
  ...['http://%31%32%37.0.0.1 ', 'http://127%2e0%2e0%2e1\x1f', 'http://%31%32%37.0.0.1:8080\t/'].map((x) => normalisedCase(x)),
  normalisedCase('http://loc%61lhost\t', 'loopback'),
  // A scheme in a host the app puts after its own: userinfo there (user `https`), and the app's port, not 443.
  ...['\x1f https:u@127.0.0.1', 'https:@127.0.0.1', 'wss:x@0x7f.1', 'https:u:p@[::1]'].map((x) => authorityCase(x, 'loopback')),
  authorityCase('https:u@169.254.169.254', 'metadata'),
  // The legacy url.parse ends the host at ';', quotes, braces, a space, or a ':' that is no port.
  ...['127.0.0.1;x', "127.0.0.1'", '127.0.0.1"x', '127.0.0.1{x}', '127.0.0.1 x', '127.0.0.1`', '0x7f.1;', 'localhost;x', '127.0.0.1:x', '[::1];x', 'u@127.0.0.1|x'].map((x) =>
    legacyCase(x, 'loopback'),
  ),
  legacyCase('169.254.169.254;x', 'metadata'),
  // The input completes an app-chosen host or breaks the authority.
  urlCase('https://api.example.com§/v1/users', '@127.0.0.1', 'loopback'),
  urlCase('https://api.example.com§/v1/users', '@169.254.169.254/latest/meta-data/#', 'metadata'),
  urlCase('https://api.example.com§/v1/users', '.attacker.example', 'private'),
  urlCase('https://§.example.com/v1', '127.0.0.1#', 'loopback'),
  urlCase('https://§.example.com/v1', '127.0.0.1/', 'loopback'),
  urlCase('https://§.example.com/v1', '127.0.0.1?', 'loopback'),
  urlCase('https://user:§@api.example.com/', 'x@127.0.0.1:80/', 'loopback'),
  // A URL-decoded or base64-decoded form chooses the host; the raw value does not occur.
  urlCase('§', input('http://127.0.0.1/', ['url']), 'loopback', [input('http%3A%2F%2F127.0.0.1%2F')]),
  urlCase('§', input('http://169.254.169.254/', ['base64']), 'metadata', [input('aHR0cDovLzE2OS4yNTQuMTY5LjI1NC8=')]),
  // The input is embedded in a JSON body field the app picked the URL from.
  urlCase('§', input('http://10.0.0.5:9200/_cat/indices', [], 'body.webhook.url'), 'private'),
];

// ---------------------------------------------------------------------------
// Benign look-alikes
// ---------------------------------------------------------------------------

const PUBLIC_HOSTS = [
  'example.com',
  'api.github.com',
  'api.stripe.com',
  'hooks.slack.com',
  'images.example.org',
  'cdn.example.net',
  'www.google.com',
  '1.2.3.4.nip.io',
  'webhook.site',
  '93.184.216.34',
  '8.8.8.8',
  '1.1.1.1',
  '[2606:4700:4700::1111]',
  '[2001:4860:4860::8888]',
  '172.32.0.1',
  '172.15.255.255',
  '192.169.0.1',
  '100.63.255.255',
  '100.128.0.1',
  '169.255.0.1',
  '11.0.0.1',
  '126.255.255.255',
  '128.0.0.1',
  '[::ffff:8.8.8.8]',
  '134744072',
];

export const benign: SsrfCase[] = [
  ...PUBLIC_HOSTS.map((h) => urlCase('§', `https://${h}/hook`)),
  ...PUBLIC_HOSTS.map((h) => urlCase('http://§/api/v1/status', h)),
  ...PUBLIC_HOSTS.filter((h) => !h.startsWith('[')).map((h) => urlCase('https://§:8443/health', h)),
  // The app chose an internal host; the input is only in the path or query.
  ...['users/1', '127.0.0.1', 'localhost', '169.254.169.254', 'http://127.0.0.1/', 'a/b?c=d', '..%2f..%2fadmin', 'metadata', '@evil', '%40127.0.0.1'].map((x) =>
    urlCase('http://10.0.0.5:8080/api/§', x),
  ),
  // (An input equal to the very host the app uses is indistinguishable from choosing it, so not here.)
  // Except the client's own address, which proxies put in these headers: it is not a destination.
  ...['x-forwarded-for', 'x-real-ip', 'forwarded', 'true-client-ip', 'cf-connecting-ip'].map((h) => urlCase('http://§:9200/search', input('127.0.0.1', [], `headers.${h}`))),
  ...['users/1', 'localhost', '169.254.169.254', 'http://127.0.0.1/', 'https://127.0.0.1/', 'a/b?c=d', 'metadata', '@evil', '%40127.0.0.1'].map((x) =>
    urlCase('http://127.0.0.1:9200/search?q=§', x),
  ),
  // The input picks a name inside a namespace the app chose.
  urlCase('http://§.svc.cluster.local/orders', 'orders'),
  urlCase('http://§.svc.cluster.local/orders', 'redis'),
  urlCase('http://10.0.0.§:8080/', '5'),
  urlCase('http://10.0.0.§:8080/', '17'),
  // Numbers that are not the connected address (prices, counts, versions) or not on the connected port.
  ...['19.99', '5.5', '2', '127.0.0.2', '0178.0.0.1', '127..1', '1.2.3.4.5', '4294967296', '2130706434'].map((x) => urlCase('http://127.0.0.1:9200/search?q=§', x)),
  hostPortCase('127.0.0.1:3000', undefined, '9200'),
  // Look-alikes of what the URL parser drops or skips (tabs, newlines, spaces and controls around the text, the
  // slashes after a scheme): read as the parser reads them, they name another host or another port.
  ...['127.0.0.2\t', ' 127.0.0.2 ', '19.99 ', '5.\t5', 'http://127.0.0.1:3000 ', 'http:127.0.0.1:3000', 'http:example.com', 'ws:api.example.com', 'http:///example.com/x', '/\\example.com/x', 'Note:\t127 items', 'Leave at the door ', 'https:\t//127.0.0.2/'].map((x) =>
    urlCase('http://127.0.0.1:9200/search?q=§', x),
  ),
  ...['localhostess ', 'http:localhost.example.com', 'local\thost.example.com', 'http:///api.localhost.example/'].map((x) => urlCase('http://localhost:9200/search?q=§', x)),
  hostPortCase('0177.0.0.1:3000', undefined, '9200'),
  // Look-alikes of a URL read as what follows the app's own `http://`: there the scheme is a host, or the port is another.
  ...['https://127.0.0.1/', 'https:127.0.0.1', 'https://u@127.0.0.1:3000/', 'http:u@127.0.0.1:3000', 'ws:127.0.0.1:3000/'].map((x) =>
    urlCase('http://127.0.0.1:9200/search?q=§', x),
  ),
  // What the legacy url.parse reads as another host (or another port) than the one connected.
  ...['example.com;x', 'api.example.com"', '127.0.0.2;x', '127.0.0.1:3000;x'].map((x) => ({
    name: `url.parse reads ${JSON.stringify(x)} as another host or port than the app's 127.0.0.1:9200`,
    resource: { url: 'http://127.0.0.1:9200/search', host: '127.0.0.1', rawHost: '127.0.0.1', port: 9200, protocol: 'http:', address: '127.0.0.1' },
    inputs: [input(x, [], 'body.host')],
  })),
  // The input is the port, not the host.
  urlCase('http://127.0.0.1:§/status', '8080'),
  // An input that names a different host and port than the one connected.
  { name: 'Host header names our own port, the app calls a sidecar on another', resource: { url: 'http://localhost:9200/_cluster/health', host: 'localhost', port: 9200, address: '127.0.0.1' }, inputs: [input('localhost:3000', [], 'headers.host')] },
  { name: 'input names a public URL, app connects internally', resource: { url: 'http://10.0.0.5/x', host: '10.0.0.5', address: '10.0.0.5' }, inputs: [input('https://example.com/callback')] },
  // Rebinding the other way: an internal-looking name resolving to a public address.
  { name: 'internal-looking name with a public answer', resource: { url: 'http://localhost.example.com/', host: 'localhost.example.com', address: '93.184.216.34' }, inputs: [input('http://localhost.example.com/')] },
  // No address yet and a name: only the connect-time call can judge.
  { name: 'name without address yet', resource: { url: 'http://rebind.attacker.example/', host: 'rebind.attacker.example' }, inputs: [input('http://rebind.attacker.example/')] },
  // Multicast/reserved are not SSRF targets.
  urlCase('§', 'http://224.0.0.1/'),
  urlCase('§', 'http://240.0.0.1/'),
  urlCase('§', 'http://[2001:db8::1]/'),
];
