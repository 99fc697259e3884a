import * as http from 'node:http';
import * as net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyTapLimit, scopesEnabled } from '../lib/agent';
import { enterScope, reentry, runOutsideScope, storage, type RequestScope, type Scope } from '../lib/context';
import { isPalisadeBlockedError } from '../lib/errors';
import { unwrap, wrap, type HookDefinition } from '../lib/hooking';

/**
 * Every 'request' a Node http/https server emits opens a request scope.
 * The request's own events (data, end, close) are emitted by the HTTP parser
 * outside that scope, so they are re-entered into it too: body parsers that
 * call next() from an 'end' listener keep the request's scope, and the same
 * path passively copies the first bytes of the body for plain-http apps.
 *
 * Cost: this runs for every request, so nothing is allocated per request
 * beyond the scope itself. The scope is stored on the request under a
 * symbol and one shared `emit` on IncomingMessage.prototype finds it there
 * (no per-request closure, no own `emit` property on each request);
 * IncomingMessages without a scope (client responses) pass straight through.
 */

const kScope = Symbol('palisade.scope');

type ScopedRequest = IncomingMessage & { [kScope]?: Scope };
type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

function emitRequest(emit: Emit, self: unknown, req: unknown, res: unknown, r: RequestScope): boolean {
  // Taken here, inside the request's run, so that it re-enters the request's context (lib/context.ts, runCopies).
  r.context = reentry();
  return emit.call(self, 'request', req, res);
}

function tapBody(r: RequestScope, chunk: unknown): void {
  if (r.rawBodyTruncated) return;
  const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : undefined;
  if (buf === undefined) return;
  const max = bodyTapLimit();
  const room = max - r.rawBodyBytes;
  // Kept, not copied: Node's parser hands each listener a buffer of its own (a copy of the socket's
  // read), and an app that rewrites a body chunk in place is rare enough not to pay a copy per chunk.
  const part = buf.length <= room ? buf : buf.subarray(0, Math.max(0, room));
  (r.rawBody ??= []).push(part);
  r.rawBodyBytes += part.length;
  if (buf.length > room) r.rawBodyTruncated = true;
}

/**
 * Installed on IncomingMessage.prototype. The emit it shadows is the
 * inherited one, looked up per call (later patches to EventEmitter still
 * apply), or an own one someone installed before us.
 */
const parentProto = Object.getPrototypeOf(http.IncomingMessage.prototype) as { emit: Emit };
let shadowed: Emit | undefined;
let installedEmit: Emit | undefined;

/** Emit with the caller's exact argument count (listeners may look at it), without materialising `arguments`. */
function emitExact(emit: Emit, self: unknown, n: number, event: string | symbol, a: unknown, b: unknown): boolean {
  return n === 1 ? emit.call(self, event) : n === 2 ? emit.call(self, event, a) : emit.call(self, event, a, b);
}

function scopedEmit(this: ScopedRequest, event: string | symbol, a?: unknown, b?: unknown): boolean {
  const emit = shadowed ?? parentProto.emit;
  const n = arguments.length;
  if (n > 3) return Reflect.apply(emit, this, arguments) as boolean;
  const scope = this[kScope];
  if (scope === undefined) return emitExact(emit, this, n, event, a, b);
  if (event === 'data') tapBody(scope.request!, a);
  // Nothing listens (a request's 'readable', 'resume' and 'close', as a rule): there is no code to run in
  // the scope, and entering it costs two AsyncLocalStorage steps. emit itself still runs (an 'error'
  // without a listener throws from it, as it would without Palisade).
  const listeners = (this as { _events?: Record<string | symbol, unknown> })._events;
  if (listeners !== undefined && listeners[event] === undefined) return emitExact(emit, this, n, event, a, b);
  try {
    if (storage.getStore() === scope) return emitExact(emit, this, n, event, a, b);
    return enterScope(scope, emitExact, emit, this, n, event, a, b);
  } catch (err) {
    // A plain app that runs the sink in its 'end' listener without a try/catch.
    if (!isPalisadeBlockedError(err)) throw err;
    answer403(scope.request!.res, err);
    return true;
  }
}

function installRequestEmit(): void {
  const proto = http.IncomingMessage.prototype as unknown as { emit?: Emit };
  if (installedEmit !== undefined && proto.emit === installedEmit) return;
  shadowed = Object.prototype.hasOwnProperty.call(proto, 'emit') ? proto.emit : undefined;
  installedEmit = scopedEmit as Emit;
  Object.defineProperty(proto, 'emit', { value: installedEmit, writable: true, configurable: true, enumerable: false });
}

function uninstallRequestEmit(): void {
  const proto = http.IncomingMessage.prototype as unknown as { emit?: Emit };
  if (installedEmit !== undefined && proto.emit === installedEmit) {
    if (shadowed !== undefined) Object.defineProperty(proto, 'emit', { value: shadowed, writable: true, configurable: true, enumerable: false });
    else delete proto.emit;
  }
  installedEmit = undefined;
  shadowed = undefined;
}

/** A blocked call thrown out of a plain request listener answers 403 instead of taking the server down. */
function answer403(res: ServerResponse, err: { eventId?: string }): void {
  if (res.headersSent || res.writableEnded) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: 'Forbidden', code: 'ERR_PALISADE_BLOCKED', eventId: err.eventId });
  res.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

type TimedSocket = net.Socket & { server?: unknown; _httpMessage?: unknown };

function setTimeoutOutside(setTimeout: (this: net.Socket, ms: number) => net.Socket, socket: net.Socket, ms: number): net.Socket {
  return setTimeout.call(socket, ms);
}

/**
 * When a response finishes, Node arms the connection's keep-alive timer (`socket.setTimeout(keepAliveTimeout)`
 * in `resOnFinish`) from inside the request's async context, so the new Timeout carries the request's scope:
 * the request, the response and its extracted inputs stay alive for as long as the connection idles, ~11 KB
 * per idle keep-alive connection (docs/performance-history.md, session 23), and every scavenge under load copies them.
 * That timer belongs to the connection, not to the request, so it is armed with no scope. Only that call is
 * taken: a server socket with no response attached, and no callback given; a timeout an app sets while its
 * response is still open keeps the scope.
 */
function patchSocketTimeout(): void {
  wrap(net.Socket.prototype, 'setTimeout', (orig) => function setTimeout(this: TimedSocket, ms: unknown) {
    if (arguments.length !== 1 || this._httpMessage !== null || !this.server || storage.getStore() === undefined) {
      return Reflect.apply(orig, this, arguments) as net.Socket;
    }
    return runOutsideScope(setTimeoutOutside, orig as (this: net.Socket, ms: number) => net.Socket, this, ms as number);
  });
}

function patchServer(proto: { emit: (...a: unknown[]) => boolean }): void {
  installRequestEmit();
  patchSocketTimeout();
  wrap(proto, 'emit', (orig) => function emit(this: unknown, event: unknown, req: unknown, res: unknown) {
    if (event !== 'request' || arguments.length !== 3) return Reflect.apply(orig, this, arguments) as boolean;
    if (!scopesEnabled()) return (orig as Emit).call(this, event, req, res);
    // Every field present from the start: one object shape for every request.
    const scope: Scope = {
      request: { req: req as IncomingMessage, res: res as ServerResponse, url: (req as IncomingMessage).url ?? '/', headers: (req as IncomingMessage).headers, rawBody: undefined, rawBodyBytes: 0, rawBodyTruncated: false, framework: undefined, context: undefined },
    };
    (req as ScopedRequest)[kScope] = scope;
    try {
      return storage.run(scope, emitRequest, orig as Emit, this, req, res, scope.request!);
    } catch (err) {
      if (!isPalisadeBlockedError(err)) throw err;
      answer403(res as ServerResponse, err);
      return true;
    }
  });
}

export const httpServerHook: HookDefinition = {
  module: 'http',
  builtin: true,
  patch(exports) {
    patchServer((exports as typeof http).Server.prototype as unknown as { emit: (...a: unknown[]) => boolean });
    return exports;
  },
  unpatch(exports) {
    unwrap((exports as typeof http).Server.prototype, 'emit');
    unwrap(net.Socket.prototype, 'setTimeout');
    uninstallRequestEmit();
  },
};

export const httpsServerHook: HookDefinition = {
  module: 'https',
  builtin: true,
  patch(exports) {
    patchServer((exports as { Server: { prototype: { emit: (...a: unknown[]) => boolean } } }).Server.prototype);
    return exports;
  },
  unpatch(exports) {
    unwrap((exports as { Server: { prototype: object } }).Server.prototype, 'emit');
  },
};
