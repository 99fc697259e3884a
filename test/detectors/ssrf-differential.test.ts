import t from 'tap';
import { INTERNAL_CLASSES, classifyAddress, parseHostSpelling } from '../../lib/detectors/ip';
import { detectSsrf } from '../../lib/detectors/ssrf';
import { callOp, targetFromUrl, type Target } from '../../hooks/net';
import { httpTarget } from '../../hooks/http-client';
import { parse as legacyParse } from 'node:url';
import type { NetResource, TaintInput } from '../../lib/types';
import { DNS, input } from './corpus/ssrf';

/*
 * The SSRF check against the WHATWG URL parser, over generated spellings.
 * The check reads inputs itself (it cannot afford a URL parse per input), so
 * wherever it reads one otherwise than the parser does, an input can name an
 * internal host that the check does not see. The corpus lists the spellings
 * found so far; this test builds many more from parts (what goes before the
 * host, userinfo, the host in many spellings, port, path, what trails), lets
 * the parser say where each would connect, the way an app would hand it to
 * a client, and requires a finding for every one that connects inward.
 * Two ways go through the legacy `url.parse` into http.request options,
 * which reads some spellings otherwise (`http://127%2e0…` has host `127`,
 * `127.0.0.1;x` and `127.0.0.1:x` have host 127.0.0.1).
 * Pure: the hooks' own target builders make the resource, DNS answers come
 * from the corpus table, no socket is opened.
 */

const BASE = 'https://app.example/';

// What precedes the host: schemes with and without slashes, slash runs, controls the parser drops.
const BEFORE = [
  'http://', 'HTTP://', 'https://', 'ws://', 'http:', 'http:/', 'http:///', 'http:\\\\', 'http:/\\', 'hTtP:\\/',
  '//', '\\\\', '/\\', '\\/', '///', ' http://', '\t//', '\x00http://', 'ht\ttp://', 'http:\n//', '\x1f https:',
];
const USERINFO = ['', 'u@', 'u:p@', '@', 'a@b@', 'x%40y@', ':@'];
// Internal hosts, in spellings the parser maps to them.
const HOSTS = [
  '127.0.0.1', '127.1', '2130706433', '0x7f.1', '0x7F000001', '0177.0.0.1', '127.0.0.1.', '127.000.000.001',
  '%31%32%37.0.0.1', '127%2e0%2e0%2e1', '１２７．０．０．１', '127。0。0。1', '127｡0｡0｡1', '１２７.0.0.1', '𝟏𝟐𝟕.0.0.1',
  '127.0.0.\t1', '12\n7.0.0.1', 'localhost', 'LOCALHOST', 'localhost.', 'LocalHost', 'loc%61lhost', 'ｌｏｃａｌｈｏｓｔ',
  'local\u00adhost', 'localhost\u3002', 'ⓛⓞⓒⓐⓛⓗⓞⓢⓣ', 'lo\u200bcalhost', 'localh\u034fost', 'local\u2060host', 'api.localhost',
  '[::1]', '[0:0:0:0:0:0:0:1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::127.0.0.1]', '0', '0.0.0.0',
  '169.254.169.254', '0xa9fea9fe', '2852039166', '169.254.43518', '[::ffff:a9fe:a9fe]', 'metadata.google.internal',
  '10.0.0.5', '012.0.0.5', '192.168.1.1', '0xc0a80101', '172.16.0.1', '[fd00::1]', '[fe80::1]',
];
const PORTS = ['', ':80', ':8080', ':0', ':65535'];
const AFTER = ['', '/', '/x?y=1#z', '?q', '#f', '\\x', ' ', '\x1f', '\t/'];
// What ends a host for the legacy url.parse and not for the WHATWG parser (`;x`, quotes, braces, a space inside),
// and a ':' or NUL that ends its name.
const LEGACY_AFTER = [';x', "'", '"x', '`', '{x}', '|x', '^', '<x>', ' x', ':x', ':80x', '\x00x'];

interface Miss {
  how: string;
  spelling: string;
}

/** Where the app's client would connect with `url` (or http.request options), as the hooks build it; undefined when it would not. */
function resourceFor(url: string | URL | LegacyOptions): NetResource | undefined {
  const target: Target | undefined = typeof url === 'string' || url instanceof URL ? targetFromUrl(url) : httpTarget([url], 'http:');
  if (target === undefined) return undefined;
  const op = callOp(target, 'test', 'fetch');
  const r = op.resource;
  const fromOptions = !(typeof url === 'string' || url instanceof URL);
  if (fromOptions) {
    // Nothing listens on port 0. And a hostname from options reaches getaddrinfo as it is: no percent-decoding
    // or IDNA, only the numeric forms inet_aton reads (`127.1`, `0x7f.1`); the call-time guess is not the answer.
    if ((url as LegacyOptions).port === '0') return undefined;
    if (!/^[0-9a-fx.]+$|:/i.test(r.host)) delete r.address;
  }
  if (r.address === undefined) {
    // The connect-time lookup, answered from the corpus's table.
    const address = DNS[r.host.toLowerCase()] ?? (fromOptions ? undefined : parseHostSpelling(r.host));
    if (address === undefined) return undefined;
    r.address = address;
  }
  // Linux refuses to connect to 0.0.0.0/8 other than 0.0.0.0 itself (getaddrinfo reads `127` as 0.0.0.127).
  if (/^0\./.test(r.address) && r.address !== '0.0.0.0') return undefined;
  return INTERNAL_CLASSES.has(classifyAddress(r.address)) ? r : undefined;
}

/** http.request options from the legacy parser, which reads some spellings otherwise than the WHATWG one. */
interface LegacyOptions {
  protocol: string;
  hostname: string;
  port: string | null;
  path: string;
}

function legacyOptions(s: string): LegacyOptions {
  const u = legacyParse(s);
  if (u.hostname === null || u.hostname === '') throw new Error('no host');
  // http.request throws ERR_INVALID_PROTOCOL for another scheme (url.parse reads `127.0.0.1:0` as scheme `127.0.0.1:`).
  const protocol = u.protocol ?? 'http:';
  if (protocol !== 'http:') throw new Error('not http');
  return { protocol, hostname: u.hostname, port: u.port, path: u.path ?? '/' };
}

/** The URL an app builds from `s` in each of the usual ways, or undefined when that way throws. */
const WAYS: ReadonlyArray<[string, (s: string) => string | URL | LegacyOptions]> = [
  ['fetch(input)', (s) => s],
  ['fetch(new URL(input).href)', (s) => new URL(s).href],
  ['fetch(new URL(input))', (s) => new URL(s)],
  ['fetch(new URL(input, base))', (s) => new URL(s, BASE)],
  ['fetch(`http://${input}/x`)', (s) => `http://${s}/x`],
  ['http.request(url.parse(input))', legacyOptions],
  ['http.request(url.parse(`http://${input}/x`))', (s) => legacyOptions(`http://${s}/x`)],
];

function judge(spelling: string, misses: Miss[], counts: { judged: number }): void {
  const withClasses: TaintInput[] = [input('SPRING24', [], 'body.coupon'), input(spelling)];
  const withoutClasses: TaintInput[] = withClasses.map(({ chars: _chars, ...rest }) => rest);
  for (const [how, build] of WAYS) {
    let url: string | URL | LegacyOptions;
    try {
      url = build(spelling);
    } catch {
      continue;
    }
    const r = resourceFor(url);
    if (r === undefined) continue;
    counts.judged++;
    if (detectSsrf(r, withClasses) === undefined) misses.push({ how, spelling });
    else if (detectSsrf(r, withoutClasses) === undefined) misses.push({ how: `${how}, inputs without classes`, spelling });
  }
}

t.test('every generated spelling that the URL parser sends inward is caught', async (t) => {
  const misses: Miss[] = [];
  const counts = { judged: 0 };
  let spellings = 0;
  // Each part in all its forms against every prefix and host, the others plain or taken in turn.
  for (const before of BEFORE) {
    for (const host of HOSTS) {
      const turn = (xs: readonly string[]): string => xs[(spellings + host.length) % xs.length]!;
      const variants = [
        ...USERINFO.map((user) => [user, '', turn(AFTER)]),
        ...PORTS.map((port) => [turn(USERINFO), port, turn(AFTER)]),
        ...AFTER.map((after) => ['', turn(PORTS), after]),
        ...LEGACY_AFTER.map((after) => [turn(USERINFO), turn(PORTS), after]),
      ];
      for (const [user, port, after] of variants) {
        spellings++;
        judge(before + user + host + port + after, misses, counts);
      }
    }
  }
  // Without a scheme: a host the app puts after its own `http://` (WAYS' last), or resolves against its base.
  for (const user of USERINFO) for (const host of HOSTS) for (const port of PORTS) judge(user + host + port, misses, counts);
  t.comment(`${spellings} spellings with a prefix; ${counts.judged} (spelling, way) pairs connect inward and were judged`);
  t.ok(counts.judged > 10000, 'the generator reaches internal hosts through the parser');
  const shown = misses.slice(0, 20).map((m) => `${m.how} ← ${JSON.stringify(m.spelling)}`);
  t.same(shown, [], `${misses.length} missed`);
});

t.test('the generator can tell a miss (a check that reads only the plain host would fail it)', async (t) => {
  // The same loop as above, judged by a deliberately naive reader of the input: the input counts only when it
  // holds the connected host as the parser prints it. Spellings the parser rewrites must then be missed.
  let naiveMisses = 0;
  for (const host of HOSTS) {
    const spelling = `http://${host}/`;
    let r: NetResource | undefined;
    try {
      r = resourceFor(spelling);
    } catch {
      r = undefined;
    }
    if (r === undefined) continue;
    if (!spelling.includes(r.host)) naiveMisses++;
  }
  t.ok(naiveMisses >= 20, `${naiveMisses} host spellings differ from the host the parser reads`);
});
