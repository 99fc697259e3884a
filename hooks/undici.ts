import { PassThrough } from 'node:stream';
import { callbackLater, rejected } from '../lib/enforce';
import type { PalisadeBlockedError } from '../lib/errors';
import { unwrap, wrap, type HookDefinition } from '../lib/hooking';
import { fetchWrapper } from './fetch';
import { followsRedirectsThrough, judgedConnect, newContext, runWithTarget, targetFromUrl, type Target } from './net';

/**
 * The undici package → net.connect at call time: the top-level request,
 * stream, pipeline, upgrade, connect and fetch, and the same methods of
 * every dispatcher (Client, Pool, Agent, BalancedPool, …: they inherit them
 * from Dispatcher.prototype). Each API reaches the network through
 * dispatcher.dispatch, which is not wrapped: one call, one judgement.
 * A block follows the API: callback error, rejected promise, or (pipeline)
 * a duplex that errors if listened to and closes.
 */

const API = ['request', 'stream', 'pipeline', 'upgrade', 'connect'] as const;
type Api = (typeof API)[number];
type AnyFn = (...a: unknown[]) => unknown;
type Cb = (err: Error, ...rest: unknown[]) => void;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function withPath(base: string, path: unknown): string {
  const p = str(path);
  if (p === undefined) return base;
  return base.replace(/\/+$/, '') + (p.startsWith('/') ? p : `/${p}`);
}

/** undici.request(url, opts): url is a string, a URL or { origin, path }; only its origin chooses the host. */
function topLevelTarget(_self: unknown, args: unknown[]): Target | undefined {
  const u = args[0];
  if (typeof u === 'string' || u instanceof URL) return targetFromUrl(u);
  if (u === null || typeof u !== 'object') return undefined;
  const o = u as { href?: unknown; origin?: unknown; path?: unknown };
  if (typeof o.href === 'string') return targetFromUrl(o.href);
  const origin = o.origin instanceof URL ? o.origin.origin : str(o.origin);
  return origin !== undefined ? targetFromUrl(withPath(origin, o.path)) : undefined;
}

let kUrl: symbol | undefined;

/** Client and Pool keep their origin under undici's own `Symbol('url')`. */
function ownOrigin(dispatcher: unknown): string | undefined {
  if (dispatcher === null || typeof dispatcher !== 'object') return undefined;
  if (kUrl === undefined) kUrl = Object.getOwnPropertySymbols(dispatcher).find((s) => s.description === 'url');
  const u = kUrl !== undefined ? (dispatcher as Record<symbol, unknown>)[kUrl] : undefined;
  return u instanceof URL ? u.origin : undefined;
}

/** dispatcher.request(opts): opts.origin, or the Client/Pool's own origin. */
function methodTarget(dispatcher: unknown, args: unknown[]): Target | undefined {
  const opts = args[0];
  if (opts === null || typeof opts !== 'object') return undefined;
  const o = opts as { origin?: unknown; path?: unknown };
  const origin = o.origin instanceof URL ? o.origin.origin : str(o.origin) ?? ownOrigin(dispatcher);
  return origin !== undefined ? targetFromUrl(withPath(origin, o.path)) : undefined;
}

function safe(f: (self: unknown, args: unknown[]) => Target | undefined, self: unknown, args: unknown[]): Target | undefined {
  try {
    return f(self, args);
  } catch {
    return undefined;
  }
}

/** A pipeline that never started: 'error' only if someone listens, then 'close'. */
function erroredDuplex(err: PalisadeBlockedError): PassThrough {
  const d = new PassThrough();
  process.nextTick(() => d.destroy(d.listenerCount('error') > 0 ? err : undefined));
  return d;
}

function blockedResult(api: Api, callback: unknown, err: PalisadeBlockedError): unknown {
  if (api === 'pipeline') return erroredDuplex(err);
  if (typeof callback === 'function') {
    callbackLater(callback as Cb, err);
    return undefined;
  }
  return rejected(err);
}

/** The callback of a top-level call (url, opts, handler): only request, upgrade and connect take one. */
function topLevelCallback(api: Api, args: unknown[]): unknown {
  if (api !== 'request' && api !== 'upgrade' && api !== 'connect') return undefined;
  return typeof args[1] === 'function' ? args[1] : args[2];
}

/** The callback of a method call (opts, cb) / stream(opts, factory, cb). */
function methodCallback(api: Api, args: unknown[]): unknown {
  if (api === 'pipeline') return undefined;
  return api === 'stream' ? args[2] : args[1];
}

function topLevelWrapper(api: Api): (orig: AnyFn) => AnyFn {
  return judgedConnect({
    key: `net.connect@undici.${api}`,
    module: 'undici',
    fn: api,
    target: (self, args) => safe(topLevelTarget, self, args),
    blocked: (_orig, _self, args, err) => blockedResult(api, topLevelCallback(api, args), err),
    run(orig, self, args, target) {
      const opts = args[1] !== null && typeof args[1] === 'object' ? (args[1] as { dispatcher?: unknown }) : undefined;
      return runWithTarget(newContext(target, followsRedirectsThrough(opts?.dispatcher)), orig, self, args);
    },
  });
}

function methodWrapper(api: Api): (orig: AnyFn) => AnyFn {
  return judgedConnect({
    // One wrapper, on Dispatcher.prototype, for every kind of dispatcher: one key.
    key: `net.connect@undici.Dispatcher.${api}`,
    module: 'undici',
    fn(self) {
      const name = (self as { constructor?: { name?: unknown } } | null)?.constructor?.name;
      return `${typeof name === 'string' ? name : 'Dispatcher'}.${api}`;
    },
    target: (self, args) => safe(methodTarget, self, args),
    blocked: (_orig, _self, args, err) => blockedResult(api, methodCallback(api, args), err),
    run: (orig, self, args, target) => runWithTarget(newContext(target, followsRedirectsThrough(self)), orig, self, args),
  });
}

type UndiciExports = Record<string, unknown> & { Dispatcher?: { prototype: object } };

export const undiciHook: HookDefinition = {
  module: 'undici',
  versions: '>=7.0.0 <8',
  patch(exports) {
    const u = exports as UndiciExports;
    for (const api of API) wrap(u, api, topLevelWrapper(api));
    wrap(u, 'fetch', fetchWrapper('undici'));
    const proto = u.Dispatcher?.prototype;
    if (proto !== undefined) for (const api of API) wrap(proto, api, methodWrapper(api));
    return exports;
  },
  unpatch(exports) {
    const u = exports as UndiciExports;
    for (const api of API) unwrap(u, api);
    unwrap(u, 'fetch');
    const proto = u.Dispatcher?.prototype;
    if (proto !== undefined) for (const api of API) unwrap(proto, api);
  },
};
