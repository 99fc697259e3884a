import t from 'tap';
import * as http from 'node:http';
import * as path from 'node:path';
import { start, untrusted } from '../../lib/index';
import { readEvents, tmpDir } from '../helpers/app';
import { startBackends, type Backends } from './helpers';

// Monitor mode, in-process: calls go through (to loopback only), so the
// connect-time check runs after the call-time one. One logical request gives
// one event; a redirect followed by the client is judged with the URL the
// app asked for; a new call made in an ordinary response callback is not.

const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'monitor', log });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stubDns } = require('../helpers/egress-guard.js') as { stubDns(m: Record<string, string>): void };
stubDns({ 'rebind.test': '127.0.0.1' });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const undici = require('undici') as typeof import('undici');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const axios = (require('axios') as { default: typeof import('axios').default }).default;

let b: Backends;
t.before(async () => {
  b = await startBackends(dir);
});
t.teardown(() => b.close());

let n = 0;
const eventsOf = (source: string): Array<Record<string, any>> => readEvents(log).filter((e) => typeof e.input?.source === 'string' && e.input.source.startsWith(`${source}.`));

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let s = '';
      res.on('data', (d) => (s += d));
      res.on('end', () => resolve(s));
    }).on('error', reject);
  });
}

const clients: Array<[string, (url: string) => Promise<string>]> = [
  ['http.get', httpGet],
  ['fetch', async (u) => (await fetch(u)).text()],
  ['undici.request', async (u) => (await undici.request(u)).body.text()],
  ['axios', async (u) => String((await axios.get(u, { responseType: 'text' })).data)],
];

t.test('one event per logical request', async (t) => {
  for (const [label, get] of clients) {
    for (const host of ['127.0.0.1', 'localhost', 'rebind.test']) {
      const url = `http://${host}:${b.port}/x`;
      const source = `q${n++}`;
      const before = b.requests();
      const body = await untrusted(source, { url }, () => get(url));
      t.equal(body, 'backend', `${label} ${host}: monitor lets it through`);
      t.equal(b.requests(), before + 1);
      const evs = eventsOf(source);
      t.equal(evs.length, 1, `${label} ${host}: exactly one event`);
      t.match(evs[0], { action: 'report', kind: 'ssrf', mode: 'monitor' });
      // Literals and localhost are judged at call time; a name after its first lookup, then at call
      // time by the address it resolved to (a later request may reuse a pooled socket).
      const callTime = label.startsWith('undici') ? 'undici' : label === 'fetch' ? 'fetch' : 'http';
      const firstLookup = host === 'rebind.test' && label === 'http.get';
      t.equal(evs[0]?.module, firstLookup ? 'net' : callTime, `${label} ${host}: judged by ${evs[0]?.module}`);
    }
  }
});

t.test('a redirect followed inside the client is judged with the URL the app asked for', async (t) => {
  for (const [label, get] of clients.filter(([l]) => l !== 'http.get' && l !== 'undici.request')) {
    const url = `http://127.0.0.1:${b.port}/redirect-local`;
    const source = `r${n++}`;
    const body = await untrusted(source, { url }, () => get(url));
    t.equal(body, 'backend', `${label}: followed the redirect`);
    const hop = eventsOf(source).find((e) => e.resource?.host === 'localhost');
    t.match(hop, { kind: 'ssrf', resource: { url, rawHost: '127.0.0.1', port: b.port } }, `${label}: the redirect hop is reported with the original URL`);
  }
});

t.test('no taint, no event: app-chosen URLs that redirect, and calls made in a response callback', async (t) => {
  const url = `http://127.0.0.1:${b.port}/redirect-local`;
  for (const [label, get] of clients.filter(([l]) => l !== 'http.get' && l !== 'undici.request')) {
    const source = `s${n++}`;
    const body = await untrusted(source, { page: '2' }, () => get(url));
    t.equal(body, 'backend');
    t.equal(eventsOf(source).length, 0, `${label}: an input that does not choose the host is not SSRF`);
  }
  // The first call is tainted (and reported); the app's next call, from its 200 response callback, is its own.
  const source = `c${n++}`;
  const first = `http://127.0.0.1:${b.port}/first`;
  await untrusted(source, { url: first }, () => new Promise<void>((resolve, reject) => {
    http.get(first, (res) => {
      res.resume();
      httpGet(`http://localhost:${b.port}/second`).then(() => resolve(), reject);
    }).on('error', reject);
  }));
  const evs = eventsOf(source);
  t.equal(evs.length, 1, 'only the tainted call is reported');
  t.equal(evs[0]?.resource?.host, '127.0.0.1');
});
