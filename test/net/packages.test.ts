import t from 'tap';
import * as http from 'node:http';
import type * as net from 'node:net';
import { Writable, type Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { isPalisadeBlockedError } from '../../lib/index';
import { alternate, blocksNamePackage, withPackage, type Case } from '../helpers/packages';

// http(s), fetch and undici under package scopes, against a loopback server. Each entry point reads its caller's
// call sites in its own wrapper rather than in check() (judgedConnect in hooks/net.ts): the app's call is the
// app's, and the same call made from a package's file is the package's, which has no grant. Alternating callers
// checks that the depth learned under each wrapper's key never lets one caller's answer stand for the other's.
const PKG = 'net-helper';
// The app may reach loopback. Packages do not inherit the app's allows and this one has none of its own, so
// its every connect is refused: which of the two made a call decides it.
const { log, pkgDir } = withPackage(PKG, ['  net.connect:', '    - { id: app-loopback, cidr: 127.0.0.0/8 }'], [
  'exports.httpGet = (http, url) => http.get(url);',
  'exports.httpRequest = (http, url) => http.request(url);',
  'exports.fetch = (url) => fetch(url);',
  'exports.undiciFetch = (undici, url) => undici.fetch(url);',
  'exports.request = (undici, url) => undici.request(url);',
  'exports.requestCallback = (undici, url, cb) => undici.request(url, {}, cb);',
  "exports.stream = (undici, url, factory) => undici.stream(url, { method: 'GET' }, factory);",
  "exports.pipeline = (undici, url, handler) => undici.pipeline(url, { method: 'GET' }, handler);",
  'exports.upgrade = (undici, url) => undici.upgrade(url);',
  'exports.connect = (undici, url) => undici.connect(url);',
  'exports.method = (dispatcher, name, ...args) => dispatcher[name](...args);',
]);
// Required after start(): npm packages are patched on first require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const undici = require('undici') as typeof import('undici');
type Undici = typeof undici;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper = require(pkgDir) as {
  httpGet(h: typeof http, url: string): http.ClientRequest;
  httpRequest(h: typeof http, url: string): http.ClientRequest;
  fetch(url: string): Promise<Response>;
  undiciFetch(u: Undici, url: string): ReturnType<Undici['fetch']>;
  request(u: Undici, url: string): ReturnType<Undici['request']>;
  requestCallback(u: Undici, url: string, cb: (err: Error | null, data?: Dispatcher.ResponseData) => void): void;
  stream(u: Undici, url: string, factory: Dispatcher.StreamFactory): Promise<Dispatcher.StreamData>;
  pipeline(u: Undici, url: string, handler: Dispatcher.PipelineHandler): Duplex;
  upgrade(u: Undici, url: string): Promise<Dispatcher.UpgradeData>;
  connect(u: Undici, url: string): Promise<Dispatcher.ConnectData>;
  method<T>(d: Dispatcher, name: 'request' | 'stream' | 'pipeline' | 'upgrade' | 'connect', ...args: unknown[]): T;
};

const BODY = 'loopback body';

/** Answers requests with BODY; an upgrade or a CONNECT gets its socket echoed back. */
function startServer(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.end(BODY));
  const echo = (socket: net.Socket, head: string): void => {
    socket.write(head);
    socket.on('data', (d: Buffer) => socket.end(d));
    socket.on('error', () => socket.destroy());
  };
  const switching = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n';
  server.on('upgrade', (_req, socket: net.Socket) => echo(socket, switching));
  server.on('connect', (_req, socket: net.Socket) => echo(socket, 'HTTP/1.1 200 Connection Established\r\n\r\n'));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}

/** 'blocked' for Palisade's block, `body <text>` for an answer. */
function outcome(p: Promise<string>): Promise<string> {
  return p.then(
    (body) => `body ${body}`,
    (err: unknown) => (isPalisadeBlockedError(err) ? 'blocked' : `error ${String(err)}`),
  );
}

/** An http(s) client request's answer (`end`: the request is ended here, as `http.get` does itself). */
function answered(req: http.ClientRequest, end = false): Promise<string> {
  return new Promise((resolve, reject) => {
    req.on('response', (res: http.IncomingMessage) => {
      let s = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (s += d));
      res.on('end', () => resolve(s));
    });
    req.on('error', reject);
    if (end) req.end();
  });
}

const text = (p: Promise<{ text(): Promise<string> }>): Promise<string> => p.then((r) => r.text());
const bodyText = (p: Promise<Dispatcher.ResponseData<unknown>>): Promise<string> => p.then((r) => r.body.text());

/** A stream factory whose writes are collected; the promise stream() returns, then the text. */
function collected(run: (factory: Dispatcher.StreamFactory) => Promise<unknown>): Promise<string> {
  let s = '';
  const factory: Dispatcher.StreamFactory = () =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        s += chunk.toString();
        cb();
      },
    });
  return run(factory).then(() => s);
}

/** A pipeline duplex, ended at once (a GET), read to its end; its 'error' rejects. */
function piped(d: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    d.on('data', (c: Buffer) => (s += c.toString()));
    d.on('end', () => resolve(s));
    d.on('error', reject);
    d.end();
  });
}

/** The upgraded or tunnelled socket: what it echoes back of a ping. */
function echoed(p: Promise<{ socket: Duplex }>): Promise<string> {
  return p.then(({ socket }) => new Promise<string>((resolve, reject) => {
    let s = '';
    socket.on('data', (c: Buffer) => (s += c.toString()));
    socket.on('end', () => {
      socket.destroy();
      resolve(s);
    });
    socket.on('error', reject);
    socket.write(BODY);
  }));
}

t.test('http, fetch and undici: the caller is read in the wrapper, app and package alike', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const url = `${s.origin}/x`;
  const client = new undici.Client(s.origin);
  const pool = new undici.Pool(s.origin);
  const agent = new undici.Agent();
  // A Client whose socket an upgrade or a CONNECT tunnel takes over: one per call.
  const tunnels: Array<InstanceType<Undici['Client']>> = [];
  const tunnel = (): InstanceType<Undici['Client']> => {
    const c = new undici.Client(s.origin);
    tunnels.push(c);
    return c;
  };
  t.teardown(async () => {
    await Promise.all([client, pool, agent, ...tunnels].map((d) => d.destroy()));
  });
  const proto = undici.Dispatcher.prototype;
  const opts = { path: '/x', method: 'GET' } as const;

  // Each package call on a line of its own: a block's event is deduplicated by its frame, the app's line.
  const cases: Case[] = [
    { name: 'http.get', module: 'http', fn: 'get', entry: http.get,
      app: () => answered(http.get(url)),
      pkg: () => answered(helper.httpGet(http, url)) },
    { name: 'http.request', module: 'http', fn: 'request', entry: http.request,
      app: () => answered(http.request(url), true),
      pkg: () => answered(helper.httpRequest(http, url), true) },
    { name: 'global fetch', module: 'fetch', fn: 'fetch', entry: globalThis.fetch,
      app: () => text(fetch(url)),
      pkg: () => text(helper.fetch(url)) },
    { name: 'undici.fetch', module: 'undici', fn: 'fetch', entry: undici.fetch,
      app: () => text(undici.fetch(url)),
      pkg: () => text(helper.undiciFetch(undici, url)) },
    { name: 'undici.request', module: 'undici', fn: 'request', entry: undici.request,
      app: () => bodyText(undici.request(url)),
      pkg: () => bodyText(helper.request(undici, url)) },
    { name: 'undici.stream', module: 'undici', fn: 'stream', entry: undici.stream,
      app: () => collected((f) => undici.stream(url, { method: 'GET' }, f)),
      pkg: () => collected((f) => helper.stream(undici, url, f)) },
    { name: 'undici.pipeline', module: 'undici', fn: 'pipeline', entry: undici.pipeline,
      app: () => piped(undici.pipeline(url, { method: 'GET' }, ({ body }) => body)),
      pkg: () => piped(helper.pipeline(undici, url, ({ body }) => body)) },
    { name: 'undici.upgrade', module: 'undici', fn: 'upgrade', entry: undici.upgrade,
      app: () => echoed(undici.upgrade(url)),
      pkg: () => echoed(helper.upgrade(undici, url)) },
    { name: 'undici.connect', module: 'undici', fn: 'connect', entry: undici.connect,
      app: () => echoed(undici.connect(url)),
      pkg: () => echoed(helper.connect(undici, url)) },
    { name: 'Agent#request', module: 'undici', fn: 'Agent.request', entry: proto.request,
      app: () => bodyText(agent.request({ origin: s.origin, ...opts })),
      pkg: () => bodyText(helper.method(agent, 'request', { origin: s.origin, ...opts })) },
    { name: 'Pool#stream', module: 'undici', fn: 'Pool.stream', entry: proto.stream,
      app: () => collected((f) => pool.stream(opts, f)),
      pkg: () => collected((f) => helper.method(pool, 'stream', opts, f)) },
    { name: 'Client#pipeline', module: 'undici', fn: 'Client.pipeline', entry: proto.pipeline,
      app: () => piped(client.pipeline(opts, ({ body }) => body)),
      pkg: () => piped(helper.method(client, 'pipeline', opts, ({ body }: Dispatcher.PipelineHandlerData) => body)) },
    { name: 'Client#upgrade', module: 'undici', fn: 'Client.upgrade', entry: proto.upgrade,
      app: () => echoed(tunnel().upgrade({ path: '/x' })),
      pkg: () => echoed(helper.method(tunnel(), 'upgrade', { path: '/x' })) },
    { name: 'Client#connect', module: 'undici', fn: 'Client.connect', entry: proto.connect,
      app: () => echoed(tunnel().connect({ path: '/x' })),
      pkg: () => echoed(helper.method(tunnel(), 'connect', { path: '/x' })) },
  ];
  // The calls answer the body; `outcome` turns a block into 'blocked'.
  const settled = cases.map((c) => ({ ...c, app: () => outcome(c.app()), pkg: () => outcome(c.pkg()) }));
  await alternate(t, settled, `body ${BODY}`);

  const err = await new Promise((resolve) => helper.requestCallback(undici, url, resolve));
  t.ok(isPalisadeBlockedError(err), "the callback form is blocked, in the package's callback");
  t.equal(await outcome(bodyText(undici.request(url))), `body ${BODY}`, 'the app still reaches the server');

  blocksNamePackage(t, log, 'net.connect', PKG, cases);
});
