import * as diagnostics from 'node:diagnostics_channel';
import { rejected } from '../lib/enforce';
import { unwrap, wrap, type HookDefinition } from '../lib/hooking';
import { followsRedirectsThrough, judgeUndiciRequest, judgedConnect, newContext, runWithTarget, targetFromUrl, unwrapBlocked, type Target } from './net';

/**
 * Global fetch → net.connect at call time. A block is a rejected promise
 * with the PalisadeBlockedError itself (not undici's TypeError('fetch
 * failed')), so `err.statusCode` is 403 whichever check blocked: a
 * connect-time block (DNS rebinding, a redirect to an internal address) is
 * unwrapped from undici's TypeError to the same error.
 */

type AnyFn = (...a: unknown[]) => unknown;

/** RequestInfo: a string, a URL, a Request (its .url) or a URL look-alike. */
export function fetchTarget(input: unknown): Target | undefined {
  if (typeof input === 'string' || input instanceof URL) return targetFromUrl(input);
  if (input === null || typeof input !== 'object') return undefined;
  const o = input as { url?: unknown; href?: unknown };
  if (typeof o.url === 'string') return targetFromUrl(o.url);
  if (typeof o.href === 'string') return targetFromUrl(o.href);
  return undefined;
}

function safeTarget(input: unknown): Target | undefined {
  try {
    return fetchTarget(input);
  } catch {
    return undefined;
  }
}

function dispatcherOf(init: unknown): unknown {
  return init !== null && typeof init === 'object' ? (init as { dispatcher?: unknown }).dispatcher : undefined;
}

/** Shared with the undici package's fetch: same arguments, same conventions. */
export function fetchWrapper(moduleName: string): (orig: AnyFn) => AnyFn {
  return judgedConnect({
    key: `net.connect@${moduleName}.fetch`,
    module: moduleName,
    fn: 'fetch',
    target: (_self, args) => safeTarget(args[0]),
    blocked: (_orig, _self, _args, err) => rejected(err),
    run(orig, self, args, target) {
      const ctx = newContext(target, followsRedirectsThrough(dispatcherOf(args[1])));
      const p = runWithTarget(ctx, orig, self, args) as Promise<unknown>;
      return p !== null && typeof p === 'object' && typeof p.then === 'function' ? p.then(undefined, unwrapBlocked) : p;
    },
  });
}

const REQUEST_CREATED = 'undici:request:create';

/**
 * fetch is a global, not a module export. The hook is installed with the
 * builtins (module 'http' only makes installHooks run it at start; the
 * exports it receives are ignored). It also watches the requests undici
 * creates (Node's fetch and the undici package publish the same channel),
 * to judge redirect hops.
 */
export const fetchHook: HookDefinition = {
  module: 'http',
  builtin: true,
  patch(exports) {
    if (typeof globalThis.fetch === 'function') wrap(globalThis, 'fetch', fetchWrapper('fetch'));
    diagnostics.subscribe(REQUEST_CREATED, judgeUndiciRequest);
    return exports;
  },
  unpatch() {
    unwrap(globalThis, 'fetch');
    diagnostics.unsubscribe(REQUEST_CREATED, judgeUndiciRequest);
  },
};
