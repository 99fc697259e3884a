import t from 'tap';
import * as dns from 'node:dns';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { start, untrusted, PalisadeBlockedError } from '../../lib/index';
import { readEvents, tmpDir } from '../helpers/app';
import { startBackends, type Backends } from './helpers';

// The connect-time check on net.Socket.prototype.connect: raw net/tls
// sockets, the address a lookup returns (in the request's scope even when a
// custom lookup calls back elsewhere), every address of a happy-eyeballs
// lookup, proxies, and cloud metadata outside any request.

const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'block', log, metadata: 'block' });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stubDns } = require('../helpers/egress-guard.js') as { stubDns(m: Record<string, string>): void };
stubDns({ 'rebind.test': '127.0.0.1', 'imds.test': '169.254.169.254' });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const undici = require('undici') as typeof import('undici');

let b: Backends;
t.before(async () => {
  b = await startBackends(dir);
});
t.teardown(() => b.close());

const isBlock = (e: unknown): boolean => e instanceof PalisadeBlockedError && e.kind === 'ssrf';

/** Connect, and say how it ended: 'connect' or the error. */
function outcome(s: net.Socket, event = 'connect'): Promise<unknown> {
  return new Promise((resolve) => {
    s.once(event, () => {
      resolve('connect');
      s.destroy();
    });
    s.once('error', resolve);
  });
}

t.test('net.connect and tls.connect with a tainted host', async (t) => {
  const before = b.connections();
  const cases: Array<[string, string, () => net.Socket, string?]> = [
    ['net.connect(port, literal)', '127.0.0.1', () => net.connect(b.port, '127.0.0.1')],
    ['net.connect({ host: name })', 'rebind.test', () => net.connect({ host: 'rebind.test', port: b.port })],
    ['net.createConnection(port, localhost)', 'localhost', () => net.createConnection(b.port, 'localhost')],
    ['new Socket().connect(opts, cb)', '::1', () => new net.Socket().connect({ host: '::1', port: b.port6 ?? b.port }, () => undefined)],
    ['tls.connect(name)', 'rebind.test', () => tls.connect({ host: 'rebind.test', port: b.tlsPort, rejectUnauthorized: false }), 'secureConnect'],
    ['tls.connect(literal)', '127.0.0.1', () => tls.connect({ host: '127.0.0.1', port: b.tlsPort, rejectUnauthorized: false }), 'secureConnect'],
  ];
  let i = 0;
  for (const [label, host, make, event] of cases) {
    const res = await untrusted(`raw${i++}`, { host }, () => outcome(make(), event));
    t.ok(isBlock(res), `${label}: socket errors with the block`);
  }
  t.equal(b.connections(), before, 'nothing reached the backend');
  const ev = readEvents(log).find((e) => e.module === 'tls');
  t.match(ev, { fn: 'connect', resource: { host: 'rebind.test', address: '127.0.0.1', port: b.tlsPort } }, 'tls sockets are named as such');
});

t.test('IPC sockets and untainted loopback connections are left alone', async (t) => {
  const sock = path.join(dir, 'ipc.sock');
  const server = net.createServer((c) => c.end('ipc'));
  await new Promise<void>((r) => server.listen(sock, r));
  const got = await untrusted('query', { p: sock }, () => new Promise<string>((resolve, reject) => {
    const c = net.connect(sock);
    let s = '';
    c.on('data', (d) => (s += d));
    c.on('end', () => resolve(s));
    c.on('error', reject);
  }));
  t.equal(got, 'ipc');
  server.close();
  fs.rmSync(sock, { force: true });
  const res = await untrusted('query', { id: '7' }, () => outcome(net.connect(b.port, '127.0.0.1')));
  t.equal(res, 'connect', 'a database-style connection the app chose is not an SSRF');
});

t.test('a custom lookup that calls back outside the request is still judged in it', async (t) => {
  // Queue lookups and answer them from a timer created outside any scope.
  const queue: Array<() => void> = [];
  const timer = setInterval(() => queue.splice(0).forEach((f) => f()), 5);
  t.teardown(() => clearInterval(timer));
  const lookup = (h: string, o: dns.LookupOptions, cb: (...a: unknown[]) => void): void => {
    queue.push(() => (dns.lookup as unknown as (h: string, o: unknown, cb: unknown) => void)(h, o, cb));
  };
  const before = b.connections();
  const res = await untrusted('query', { host: 'rebind.test' }, () => outcome(net.connect({ host: 'rebind.test', port: b.port, lookup })));
  t.ok(isBlock(res), 'blocked with the request scope captured at connect()');
  t.equal(b.connections(), before);
});

t.test('every address of a multi-address lookup is judged', async (t) => {
  const before = b.connections();
  // A name answering a public-looking address first and loopback second: happy eyeballs would try both.
  const lookup = (_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void): void => {
    const list = [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }];
    process.nextTick(() => (o.all === true ? cb(null, list) : cb(null, '127.0.0.1', 4)));
  };
  for (const autoSelectFamily of [true, false]) {
    const res = await untrusted('query', { host: 'twofaced.test' }, () =>
      outcome(net.connect({ host: 'twofaced.test', port: b.port, lookup, autoSelectFamily } as net.NetConnectOpts)));
    t.ok(isBlock(res), `autoSelectFamily=${autoSelectFamily}: blocked`);
  }
  t.equal(b.connections(), before);
});

t.test('a proxy dispatcher: the socket to the proxy is not the tainted destination', async (t) => {
  // A CONNECT proxy on loopback that answers the tunnelled request itself (it never resolves the target).
  const proxy = http.createServer();
  let tunnels = 0;
  proxy.on('connect', (_req, socket: net.Socket) => {
    tunnels++;
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: close\r\n\r\nproxied'));
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.teardown(() => proxy.close());
  const port = (proxy.address() as net.AddressInfo).port;
  const dispatcher = new undici.ProxyAgent(`http://127.0.0.1:${port}`);
  t.teardown(() => dispatcher.close());
  const url = 'http://public.example/';
  const res = await untrusted('query', { url }, () => undici.request(url, { dispatcher }));
  t.equal(res.statusCode, 200, 'the tainted public URL goes through the app-configured loopback proxy');
  t.equal(await res.body.text(), 'proxied');
  t.equal(tunnels, 1);
});

t.test('cloud metadata outside any request: refused before connecting', async (t) => {
  const cases: Array<[string, () => net.Socket]> = [
    ['net literal', () => net.connect(80, '169.254.169.254')],
    ['net name', () => net.connect({ host: 'imds.test', port: 80 })],
    ['net IPv6 literal', () => net.connect({ host: 'fd00:ec2::254', port: 80 })],
    ['net IPv4-mapped', () => net.connect({ host: '::ffff:a9fe:a9fe', port: 80 })],
  ];
  for (const [label, make] of cases) t.ok(isBlock(await outcome(make())), label);
  const [state, err] = await undici.request('http://imds.test/latest/meta-data/').then(() => ['ok'], (e: unknown) => ['err', e]);
  t.equal(state, 'err');
  t.ok(isBlock(err), 'undici.request to a name resolving to the metadata address');
  const ev = readEvents(log).find((e) => e.detail?.class === 'metadata' && e.request === undefined);
  t.match(ev, { action: 'block', kind: 'ssrf', input: { source: 'none' }, detail: { service: /metadata/ } }, 'reported with no input');
});
