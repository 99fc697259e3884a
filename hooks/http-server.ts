import type * as Http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { agentState } from '../lib/agent';
import { storage, type Scope } from '../lib/context';
import { isPalisadeBlockedError } from '../lib/errors';
import { unwrap, wrap, type HookDefinition } from '../lib/hooking';

/**
 * Every 'request' a Node http/https server emits opens a request scope.
 * The request's own events (data, end, close) are emitted by the HTTP parser
 * outside that scope, so req.emit is bound to it too: body parsers that call
 * next() from an 'end' listener keep the request's scope, and the same hook
 * passively copies the first bytes of the body for plain-http apps.
 */

function tapAndBind(scope: Scope, req: IncomingMessage, res: ServerResponse, maxBody: number): void {
  const r = scope.request!;
  const origEmit = req.emit;
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  req.emit = function boundEmit(this: IncomingMessage, event: string | symbol, ...args: unknown[]): boolean {
    if (hasBody && event === 'data' && !r.rawBodyTruncated) {
      const chunk = args[0];
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : undefined;
      if (buf !== undefined) {
        const room = maxBody - r.rawBodyBytes;
        const part = buf.length <= room ? buf : buf.subarray(0, room);
        (r.rawBody ??= []).push(Buffer.from(part));
        r.rawBodyBytes += part.length;
        if (buf.length > room) r.rawBodyTruncated = true;
      }
    }
    try {
      if (storage.getStore() === scope) return origEmit.call(this, event, ...args);
      return storage.run(scope, () => origEmit.call(this, event, ...args));
    } catch (err) {
      // A plain app that runs the sink in its 'end' listener without a try/catch.
      if (!isPalisadeBlockedError(err)) throw err;
      answer403(res, err);
      return true;
    }
  } as typeof req.emit;
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

function patchServer(proto: { emit: (...a: unknown[]) => boolean }): void {
  wrap(proto, 'emit', (orig) => function emit(this: unknown, event: unknown, ...rest: unknown[]) {
    if (event !== 'request') return orig.call(this, event, ...rest);
    const s = agentState();
    if (s === undefined || s.config.mode === 'off') return orig.call(this, event, ...rest);
    const req = rest[0] as IncomingMessage;
    const res = rest[1] as ServerResponse;
    const scope: Scope = { request: { req, res, rawBodyBytes: 0, rawBodyTruncated: false } };
    tapAndBind(scope, req, res, s.config.maxBodyBytes);
    try {
      return storage.run(scope, () => orig.call(this, event, ...rest));
    } catch (err) {
      if (!isPalisadeBlockedError(err)) throw err;
      answer403(res, err);
      return true;
    }
  });
}

export const httpServerHook: HookDefinition = {
  module: 'http',
  builtin: true,
  patch(exports) {
    patchServer((exports as typeof Http).Server.prototype as unknown as { emit: (...a: unknown[]) => boolean });
    return exports;
  },
  unpatch(exports) {
    unwrap((exports as typeof Http).Server.prototype, 'emit');
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
