import t from 'tap';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { start, untrusted, PalisadeBlockedError } from '../../lib/index';
import { readEvents, tmpDir } from '../helpers/app';
import { startBackends, type Backends } from './helpers';

// Every outgoing HTTP client, in-process, block mode: a tainted loopback URL
// is refused in the API's own error convention, and the backend (which
// counts TCP connections) never sees a socket.

const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'block', log });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stubDns } = require('../helpers/egress-guard.js') as { stubDns(m: Record<string, string>): void };
stubDns({ 'rebind.test': '127.0.0.1' });
// Required after start(): npm packages are patched on first require.
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
/** Run `fn` with `url` as an untrusted input (a unique source each time, so no event is deduplicated). */
function tainted<T>(url: string, fn: () => T): T {
  return untrusted(`case${n++}`, { url }, fn);
}

function isBlock(e: unknown): boolean {
  return e instanceof PalisadeBlockedError && e.code === 'ERR_PALISADE_BLOCKED' && e.statusCode === 403 && e.kind === 'ssrf';
}

/** Settle a promise into ['ok', value] | ['err', error]. */
function settle<T>(p: Promise<T>): Promise<['ok', T] | ['err', unknown]> {
  return p.then((v) => ['ok', v] as ['ok', T], (e: unknown) => ['err', e] as ['err', unknown]);
}

t.test('http.get / http.request / https.*: error event, then close, no socket', async (t) => {
  const before = b.connections();
  const cases: Array<[string, (url: string) => http.ClientRequest]> = [
    ['http.get(url)', (u) => http.get(u)],
    ['http.get(URL, cb)', (u) => http.get(new URL(u), () => t.fail('no response'))],
    ['http.request(url, options)', (u) => http.request(u, { method: 'POST', headers: { 'x-a': '1' } })],
    ['http.request(options)', (u) => { const x = new URL(u); return http.request({ host: x.hostname, port: x.port, path: '/p' }); }],
    ['http.request(options with hostname)', (u) => { const x = new URL(u); return http.request({ hostname: x.hostname, port: x.port }); }],
  ];
  for (const [label, make] of cases) {
    const url = `http://127.0.0.1:${b.port}/secret`;
    const events: string[] = [];
    const err = await new Promise<unknown>((resolve) => {
      const req = tainted(url, () => make(url));
      req.on('error', (e) => { events.push('error'); resolve(e); });
      req.on('close', () => events.push('close'));
      req.on('socket', () => events.push('socket'));
      req.end('body');
    });
    t.ok(isBlock(err), `${label}: PalisadeBlockedError`);
    await new Promise((r) => setImmediate(r));
    t.same(events, ['error', 'close'], `${label}: 'error' then 'close', never a socket`);
  }
  for (const [label, mod, port] of [['https.get', https, b.tlsPort], ['https.request', https, b.tlsPort]] as const) {
    const url = `https://localhost:${port}/`;
    const err = await new Promise((resolve) => {
      const req = tainted(url, () => (label === 'https.get' ? mod.get(url) : mod.request(url)));
      req.on('error', resolve);
      req.end();
    });
    t.ok(isBlock(err), `${label}: blocked`);
  }
  t.equal(b.connections(), before, 'no connection reached the backend');
});

t.test('http.get without an error listener: no crash, the request just closes', async (t) => {
  const url = `http://127.0.0.1:${b.port}/`;
  const req = tainted(url, () => http.get(url));
  await new Promise<void>((r) => req.on('close', () => r()));
  t.ok(req.destroyed, 'request is destroyed');
  t.notOk(req.socket, 'never had a socket');
  t.equal(req.write('more'), false, 'writing after the block is refused quietly');
});

t.test('options-form hosts in other spellings', async (t) => {
  for (const host of ['2130706433', '0x7f.1', '0177.0.0.1', '127.1', '[::1]', 'localhost']) {
    const err = await new Promise((resolve) => {
      const req = untrusted(`host${n++}`, { host }, () => http.request({ host, port: b.port, path: '/' }));
      req.on('error', resolve);
      req.end();
    });
    t.ok(isBlock(err), `options.host ${host}: blocked before any lookup`);
  }
});

t.test('global fetch: rejected with the block itself', async (t) => {
  const before = b.connections();
  for (const [label, input] of [
    ['string', `http://127.0.0.1:${b.port}/`],
    ['URL', new URL(`http://[::1]:${b.port6 ?? b.port}/`)],
    ['Request', new Request(`http://localhost:${b.port}/`)],
    ['rebind (connect time, unwrapped)', `http://rebind.test:${b.port}/`],
  ] as const) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const [state, err] = await tainted(url, () => settle(fetch(input)));
    t.equal(state, 'err', `${label}: rejected`);
    t.ok(isBlock(err), `${label}: with PalisadeBlockedError (not TypeError('fetch failed'))`);
  }
  t.equal(b.connections(), before);
});

t.test('undici: request, callback, stream, pipeline, fetch, Client, Pool, Agent', async (t) => {
  const before = b.connections();
  for (const host of ['127.0.0.1', 'rebind.test']) {
    const origin = `http://${host}:${b.port}`;
    const url = `${origin}/x`;
    const promised: Array<[string, () => Promise<unknown>]> = [
      ['request', () => undici.request(url)],
      ['stream', () => undici.stream(url, {}, () => new PassThrough())],
      ['upgrade', () => undici.upgrade(url)],
      ['fetch', () => undici.fetch(url)],
      ['Client.request', () => { const c = new undici.Client(origin); return c.request({ path: '/x', method: 'GET' }).finally(() => c.destroy()); }],
      ['Pool.request', () => { const c = new undici.Pool(origin); return c.request({ path: '/x', method: 'GET' }).finally(() => c.destroy()); }],
      ['Agent.request', () => { const c = new undici.Agent(); return c.request({ origin, path: '/x', method: 'GET' }).finally(() => c.destroy()); }],
      ['Pool.stream', () => { const c = new undici.Pool(origin); return c.stream({ path: '/x', method: 'GET' }, () => new PassThrough()).finally(() => c.destroy()); }],
    ];
    for (const [label, run] of promised) {
      const [state, err] = await tainted(url, () => settle(run()));
      t.equal(state, 'err', `${host} ${label}: rejected`);
      t.ok(isBlock(err), `${host} ${label}: PalisadeBlockedError`);
    }
    const cbErr = await tainted(url, () => new Promise((resolve) => {
      undici.request(url, {}, (e) => resolve(e));
    }));
    t.ok(isBlock(cbErr), `${host} request(url, opts, callback): callback error`);
    const pipeErr = await tainted(url, () => new Promise((resolve) => {
      const d = undici.pipeline(url, {}, ({ body }) => body);
      d.on('error', resolve);
      d.end();
      d.resume();
    }));
    t.ok(isBlock(pipeErr), `${host} pipeline: 'error' on the duplex`);
  }
  t.equal(b.connections(), before);
});

t.test('a tainted request that would reuse a pooled socket is judged by the address the name resolved to', async (t) => {
  stubDns({ 'pooled.test': '127.0.0.1' });
  const url = `http://pooled.test:${b.port}/`;
  for (const [label, get] of [
    ['fetch', async () => (await fetch(url)).text()],
    ['undici', async () => (await undici.request(url)).body.text()],
    ['http.get', () => new Promise<string>((resolve, reject) => {
      http.get(url, (res) => { let s = ''; res.on('data', (d) => (s += d)); res.on('end', () => resolve(s)); }).on('error', reject);
    })],
  ] as const) {
    // The app's own call (no input chooses the host) opens a keep-alive connection.
    t.equal(await untrusted('query', { id: '1' }, get), 'backend', `${label}: untainted call works`);
    const served = b.requests();
    const [state, err] = await tainted(url, () => settle(get()));
    t.equal(state, 'err', `${label}: the tainted call to the same name is refused`);
    t.ok(isBlock(err), `${label}: before it could take the pooled socket`);
    t.equal(b.requests(), served, `${label}: the backend served nothing`);
  }
});

t.test('a redirect to an internal host is refused even when no new socket is needed', async (t) => {
  // The first hop goes over a unix socket (never judged at connect time: not a network
  // destination); its 302 points at loopback. Only the redirect-hop check can refuse it.
  const sock = path.join(dir, 'redirector.sock');
  let served = 0;
  const server = http.createServer((req, res) => {
    served++;
    res.writeHead(302, { location: `http://localhost:${b.port}/internal` });
    res.end();
  });
  await new Promise<void>((r) => server.listen(sock, r));
  t.teardown(() => server.close());
  const url = 'http://public.example/start';
  const viaFetch = new undici.Agent({ connect: { socketPath: sock } });
  const [s1, e1] = await tainted(url, () => settle(fetch(url, { dispatcher: viaFetch } as RequestInit)));
  t.equal(s1, 'err', 'global fetch: rejected');
  t.ok(isBlock(e1), 'global fetch: the redirect hop is blocked');
  const [s2, e2] = await tainted(url, () => settle(undici.fetch(url, { dispatcher: viaFetch })));
  t.equal(s2, 'err', 'undici.fetch: rejected');
  t.ok(isBlock(e2), 'undici.fetch: the redirect hop is blocked');
  const viaInterceptor = new undici.Agent({ connect: { socketPath: sock } }).compose(undici.interceptors.redirect({ maxRedirections: 3 }));
  const [s3, e3] = await tainted(url, () => settle(undici.request(url, { dispatcher: viaInterceptor })));
  t.equal(s3, 'err', 'undici.request with the redirect interceptor: rejected');
  t.ok(isBlock(e3), 'undici redirect interceptor: the hop is blocked');
  t.equal(served, 3, 'each first hop was served, no redirect hop was');
  const ev = readEvents(log).find((e) => e.fn === 'redirect');
  t.match(ev, { module: 'undici', resource: { host: 'localhost', url, rawHost: 'public.example', port: b.port } }, 'the hop is judged with the URL the app asked for');
  await viaFetch.close();
});

t.test('axios works through the http hooks', async (t) => {
  const before = b.connections();
  for (const url of [`http://127.0.0.1:${b.port}/`, `http://rebind.test:${b.port}/`, `https://localhost:${b.tlsPort}/`]) {
    const [state, err] = await tainted(url, () => settle(axios.get(url)));
    t.equal(state, 'err', `${url}: rejected`);
    const e = err as { code?: string; cause?: unknown };
    t.equal(e.code, 'ERR_PALISADE_BLOCKED', 'AxiosError keeps the code');
    t.ok(isBlock(e.cause), 'and carries the block as its cause');
  }
  t.equal(b.connections(), before);
});

t.test('benign: untainted calls and tainted paths go through', async (t) => {
  const url = `http://127.0.0.1:${b.port}/ok`;
  const body = await new Promise<string>((resolve, reject) => {
    http.get(url, (res) => { let s = ''; res.on('data', (d) => (s += d)); res.on('end', () => resolve(s)); }).on('error', reject);
  });
  t.equal(body, 'backend', 'http.get outside any request');
  // Inside an untrusted scope, an input that only picks the path does not choose the host.
  const r = await untrusted('query', { file: 'report.txt' }, () => fetch(`http://127.0.0.1:${b.port}/files/report.txt`));
  t.equal(r.status, 200);
  t.equal(await r.text(), 'backend');
  const u = await untrusted('query', { id: '42' }, () => undici.request(`http://localhost:${b.port}/users/42`));
  t.equal(u.statusCode, 200);
  await u.body.text();
  const a = await untrusted('query', { q: 'x' }, () => axios.get(`http://127.0.0.1:${b.port}/search?q=x`));
  t.equal(a.status, 200);
});

t.test('events name the client, the input and the destination', async (t) => {
  const evs = readEvents(log).filter((e) => e.kind === 'ssrf');
  t.ok(evs.length >= 20, `${evs.length} ssrf events`);
  t.ok(evs.every((e) => e.action === 'block' && e.operation === 'net.connect'));
  t.match(evs.find((e) => e.module === 'http' && e.fn === 'get'), { resource: { host: '127.0.0.1', address: '127.0.0.1', protocol: 'http:' }, input: { value: /127\.0\.0\.1/ } });
  t.match(evs.find((e) => e.module === 'fetch'), { fn: 'fetch', resource: { url: /^http:\/\/127\.0\.0\.1:/ } });
  t.match(evs.find((e) => e.module === 'undici' && e.fn === 'Pool.request'), { resource: { host: '127.0.0.1' } });
  t.match(evs.find((e) => e.module === 'net' && e.resource?.host === 'rebind.test'), { fn: 'connect', resource: { address: '127.0.0.1' }, detail: { via: 'address' } });
  t.match(evs.find((e) => e.module === 'https'), { resource: { host: 'localhost', protocol: 'https:' }, detail: { class: 'loopback' } });
});
