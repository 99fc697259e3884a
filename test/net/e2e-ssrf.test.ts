import t from 'tap';
import { q, request, startApp, tmpDir, waitFor, type RunningApp } from '../helpers/app';
import { DNS_STUB, INTERNAL_URLS, loopbackSpellings, startBackends, type Backends } from './helpers';

// Issue 4 acceptance, run as an operator would: an express app under
// `node --require palisade/register` in block mode proxies a URL from the
// query through http.get, https.get, fetch, undici and axios. Every spelling
// of a loopback server is answered 403 and the server sees no connection;
// private and metadata destinations are refused before any socket opens
// (the egress guard in the app would report a connection attempt).

const MARK = 'EGRESS-GUARD VIOLATION';
const CLIENTS = ['http', 'https', 'fetch', 'undici', 'axios'] as const;

async function setup(t: { teardown(fn: () => unknown): void }, mode: string): Promise<{ app: RunningApp; b: Backends; stop: () => Promise<void> }> {
  const dir = tmpDir('palisade-ssrf-');
  const b = await startBackends(dir);
  t.teardown(() => b.close());
  const app = await startApp('net/proxy-app.js', {
    PALISADE_MODE: mode,
    EGRESS_DNS_STUB: DNS_STUB,
    BACKEND_URL: `http://127.0.0.1:${b.port}/health`,
    BACKEND_HTTPS_URL: `https://127.0.0.1:${b.tlsPort}/health`,
    BACKEND_CA: b.caFile,
  });
  // RunningApp.stop() twice would wait for a second 'exit': stop once.
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= app.stop());
  t.teardown(stop);
  return { app, b, stop };
}

t.test('block mode: loopback in every spelling, through every client, never connects', async (t) => {
  const { app, b } = await setup(t, 'block');
  if (b.port6 === undefined) t.comment('no IPv6 loopback here: [::1] cases target the IPv4 port');

  // Benign first: fixed backend URLs (not from the request) work through every client.
  for (const c of CLIENTS) {
    const before = b.requests();
    const ok = await request(app.port, `/health/${c}`);
    t.equal(ok.status, 200, `${c}: benign call to a fixed loopback backend answers 200`);
    t.equal(ok.body, 'backend', `${c}: benign body`);
    t.equal(b.requests(), before + 1, `${c}: the backend served it`);
  }

  const baseline = b.connections();
  for (const c of CLIENTS) {
    const scheme = c === 'https' ? 'https' : 'http';
    for (const [label, url] of loopbackSpellings(scheme, b)) {
      const res = await request(app.port, `/proxy/${c}?url=${q(url)}`);
      t.equal(res.status, 403, `${c} ${label}: 403`);
      t.match(res.body, /ERR_PALISADE_BLOCKED/, `${c} ${label}: the block reached express's error handler`);
      t.equal(b.connections(), baseline, `${c} ${label}: the loopback server saw no connection`);
    }
  }
  // The app parses the URL before using it: tabs and newlines in the host, trailing spaces, and the slashes after
  // the scheme (any number, none included) are gone from what the hook sees.
  for (const c of CLIENTS) {
    const scheme = c === 'https' ? 'https' : 'http';
    const p = c === 'https' ? b.tlsPort : b.port;
    for (const url of [`${scheme}://127.0.0.\t1:${p}/secret`, `${scheme}://local\nhost:${p}/secret`, `${scheme}://0x7f.\r1:${p}/secret`, `${scheme}://127.0.0.1:${p} `, `${scheme}:127.0.0.1:${p}/secret`, `${scheme}:///0x7f.1:${p}/secret`, `${scheme}://%31%32%37.0.0.1:${p} `, `${scheme}://loc%61lhost:${p}\t`]) {
      const res = await request(app.port, `/proxy-parsed/${c}?url=${q(url)}`);
      t.equal(res.status, 403, `${c} parsed ${JSON.stringify(url)}: 403`);
      t.equal(b.connections(), baseline, `${c} parsed ${JSON.stringify(url)}: the loopback server saw no connection`);
    }
  }
  // The app takes only the host from the request and puts its own scheme before it: a scheme in the input is then
  // userinfo (`https:u@127.0.0.1` is user `https`, password `u`), and the input's own reading of the port (443) is not the app's.
  for (const c of CLIENTS) {
    for (const host of ['\x1f https:u@127.0.0.1', 'https:@localhost', 'wss:x@0x7f.1']) {
      const res = await request(app.port, `/proxy-host/${c}?host=${q(host)}`);
      t.equal(res.status, 403, `${c} host ${JSON.stringify(host)}: 403`);
      t.equal(b.connections(), baseline, `${c} host ${JSON.stringify(host)}: the loopback server saw no connection`);
    }
  }
  // The app hands url.parse's reading to http.get: the legacy parser ends the host at ';', a quote or a ':' that is
  // no port, where the WHATWG parser reads on or fails.
  for (const host of [`127.0.0.1:${b.port};x`, '127.0.0.1:x', `localhost:${b.port}'`, `0x7f.1:${b.port}{x}`]) {
    const res = await request(app.port, `/proxy-legacy?host=${q(host)}`);
    t.equal(res.status, 403, `url.parse host ${JSON.stringify(host)}: 403`);
    t.equal(b.connections(), baseline, `url.parse host ${JSON.stringify(host)}: the loopback server saw no connection`);
  }
  // GET /proxy?url= (the issue's route, fetch underneath).
  const plain = await request(app.port, `/proxy?url=${q(`http://127.0.0.1:${b.port}/`)}`);
  t.equal(plain.status, 403);
  t.equal(b.connections(), baseline);
  t.equal(b.requests(), CLIENTS.length, 'only the benign calls were ever served');

  for (const c of CLIENTS) {
    const ev = await waitFor(() => app.events().find((e) => e.request?.path === `/proxy/${c}` && e.action === 'block'));
    t.match(ev, { kind: 'ssrf', operation: 'net.connect', input: { source: 'query.url' }, request: { method: 'GET', route: '/proxy/:client' } }, `${c}: block event`);
  }
  const first = app.events().find((e) => e.request?.path === '/proxy/http');
  t.match(first, { module: 'http', fn: 'get', resource: { host: '127.0.0.1', address: '127.0.0.1', protocol: 'http:' }, detail: { class: 'loopback' } });
  const rebind = app.events().find((e) => e.resource?.host === 'rebind.test');
  t.match(rebind, { kind: 'ssrf', module: 'net', fn: 'connect', resource: { address: '127.0.0.1', url: /^http:\/\/rebind\.test:/ }, detail: { via: 'address' } }, 'DNS answer judged at connect time');
  const tlsRebind = await request(app.port, `/proxy/https?url=${q(`https://rebind.test:${b.tlsPort}/`)}`);
  t.equal(tlsRebind.status, 403, 'https through a rebinding name: refused before the TLS handshake');

  t.equal(app.child.exitCode, null, 'the app is still running');
  t.notMatch(app.stderr(), MARK, 'no non-loopback connection or DNS lookup was attempted');
});

t.test('block mode: private and metadata destinations refused before any socket', async (t) => {
  const { app, b, stop } = await setup(t, 'block');
  const first = await request(app.port, `/proxy/fetch?url=${q('http://169.254.169.254/latest/meta-data/')}`);
  t.equal(first.status, 403);
  const meta = await waitFor(() => app.events().find((e) => e.detail?.class === 'metadata'));
  t.match(meta, { kind: 'ssrf', input: { source: 'query.url' }, detail: { address: '169.254.169.254' } }, 'metadata access inside a request names the input');
  for (const c of ['http', 'fetch', 'undici', 'axios'] as const) {
    for (const url of INTERNAL_URLS) {
      const res = await request(app.port, `/proxy/${c}?url=${q(url)}`);
      t.equal(res.status, 403, `${c} ${url}: 403`);
    }
  }
  const https = await request(app.port, `/proxy/https?url=${q('https://imds.test/latest/meta-data/')}`);
  t.equal(https.status, 403, 'https to a name resolving to the metadata address');
  t.equal(b.connections(), 0);
  // A stop that waits for the exit lets the guard's exit report (if any) reach stderr.
  await stop();
  t.notMatch(app.stderr(), MARK, 'the egress guard saw no attempt to reach a private or metadata address');
});

t.test('monitor mode: reported once, and the call goes through', async (t) => {
  const { app, b } = await setup(t, 'monitor');
  const res = await request(app.port, `/proxy/fetch?url=${q(`http://127.0.0.1:${b.port}/x`)}`);
  t.equal(res.status, 200);
  t.equal(res.body, 'backend');
  t.equal(b.connections(), 1, 'one connection for one request');
  const res2 = await request(app.port, `/proxy/undici?url=${q(`http://rebind.test:${b.port}/y`)}`);
  t.equal(res2.status, 200);
  const evs = await waitFor(() => {
    const e = app.events().filter((x) => x.kind === 'ssrf');
    return e.length >= 2 ? e : undefined;
  });
  t.equal(evs?.length, 2, 'one event per logical request (call time for the literal, connect time for the name)');
  t.match(evs?.[0], { action: 'report', mode: 'monitor', module: 'fetch', resource: { address: '127.0.0.1' } });
  t.match(evs?.[1], { action: 'report', module: 'net', resource: { host: 'rebind.test', address: '127.0.0.1' } });
});
