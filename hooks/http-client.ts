import type * as Http from 'node:http';
import { emitErrorLater } from '../lib/enforce';
import type { PalisadeBlockedError } from '../lib/errors';
import { unwrap, wrap, type HookDefinition } from '../lib/hooking';
import { bareHost, defaultPort, followRedirectChain, judgedConnect, knownAddress, newContext, runWithTarget, targetFromUrl, type EgressContext, type Target } from './net';

/**
 * http/https request and get → net.connect at call time. `get` is wrapped
 * on its own because Node's get calls the module-internal request. A block
 * returns a ClientRequest built by Node itself, but on an agent that never
 * opens a socket: 'error' is emitted only if someone listens, then 'close'.
 */

type Opts = Record<string, unknown>;
type AnyFn = (...a: unknown[]) => unknown;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Node's own test for "a URL object" in http.request (url.URL or a look-alike). */
function isUrlLike(v: unknown): v is { href: string } {
  const o = v as { href?: unknown; protocol?: unknown; auth?: unknown; path?: unknown } | null;
  return v instanceof URL || (o !== null && typeof o === 'object' && typeof o.href === 'string' && o.href !== '' && Boolean(o.protocol) && o.auth === undefined && o.path === undefined);
}

interface Split {
  url: string | URL | undefined;
  opts: Opts;
}

/** (url[, options][, cb]) | (options[, cb]) | ([cb]). */
function split(args: unknown[]): Split {
  const a0 = args[0];
  if (typeof a0 === 'string' || isUrlLike(a0)) {
    const u = typeof a0 === 'string' || a0 instanceof URL ? a0 : a0.href;
    const a1 = args[1];
    return { url: u, opts: a1 !== null && typeof a1 === 'object' ? (a1 as Opts) : {} };
  }
  return { url: undefined, opts: a0 !== null && typeof a0 === 'object' ? (a0 as Opts) : {} };
}

/** Where the request goes, merged the way ClientRequest merges a URL and options (hostname wins over host). Exported for tests. */
export function httpTarget(args: unknown[], defaultProtocol: string): Target | undefined {
  const { url, opts } = split(args);
  if (str(opts.socketPath) !== undefined) return undefined;
  const fromUrl = url !== undefined ? targetFromUrl(url) : undefined;
  if (url !== undefined && fromUrl === undefined) return undefined; // Node throws ERR_INVALID_URL itself
  const overrides = opts.hostname !== undefined || opts.host !== undefined || opts.port !== undefined || opts.protocol !== undefined;
  if (fromUrl !== undefined && !overrides) return fromUrl;

  const hostname = str(opts.hostname);
  const host = str(opts.host);
  const raw = hostname ?? (fromUrl !== undefined ? fromUrl.rawHost : undefined) ?? host ?? 'localhost';
  const effective = hostname ?? (fromUrl !== undefined ? fromUrl.host : undefined) ?? host ?? 'localhost';
  const bare = bareHost(effective);
  const protocol = str(opts.protocol) ?? fromUrl?.protocol ?? defaultProtocol;
  const port = num(opts.port) ?? fromUrl?.port ?? num(opts.defaultPort) ?? defaultPort(protocol);
  const t: Target = { host: bare, rawHost: raw, protocol };
  if (port !== undefined) t.port = port;
  if (fromUrl !== undefined && fromUrl.host === bare && fromUrl.port === port && fromUrl.url !== undefined) t.url = fromUrl.url;
  else {
    const h = bare.includes(':') ? `[${bare}]` : bare;
    t.url = `${protocol}//${h}${port !== undefined ? `:${port}` : ''}${str(opts.path) ?? '/'}`;
  }
  const address = knownAddress(bare);
  if (address !== undefined) t.address = address;
  return t;
}

function safeTarget(args: unknown[], defaultProtocol: string): Target | undefined {
  try {
    return httpTarget(args, defaultProtocol);
  } catch {
    return undefined; // unreadable arguments: Node reports them itself
  }
}

/** The same call, on an agent that emits the block instead of connecting. */
function withBlockingAgent(args: unknown[], mod: typeof Http, err: PalisadeBlockedError): unknown[] {
  const { url, opts } = split(args);
  const user = opts.agent as { protocol?: unknown; defaultPort?: unknown } | undefined | null | false;
  const ua = user !== null && typeof user === 'object' ? user : undefined;
  const global = mod.globalAgent as unknown as { protocol?: unknown; defaultPort?: unknown };
  const agent = {
    // ClientRequest checks the protocol against the agent's, as it would against the real one.
    protocol: str(ua?.protocol) ?? str(global.protocol),
    defaultPort: num(ua?.defaultPort) ?? num(global.defaultPort),
    keepAlive: false,
    maxSockets: Infinity,
    addRequest(req: Http.ClientRequest): void {
      req.destroyed = true;
      emitErrorLater(req, err, [['close']]);
    },
  };
  const merged = { ...opts, agent };
  if (url !== undefined) {
    const hasOpts = args[1] !== null && typeof args[1] === 'object';
    return [args[0], merged, ...args.slice(hasOpts ? 2 : 1)];
  }
  const hasOpts = args[0] !== null && typeof args[0] === 'object';
  return [merged, ...args.slice(hasOpts ? 1 : 0)];
}

function clientWrapper(mod: typeof Http, moduleName: string, fn: 'request' | 'get', defaultProtocol: string): (orig: AnyFn) => AnyFn {
  return judgedConnect({
    key: `net.connect@${moduleName}.${fn}`,
    module: moduleName,
    fn,
    target(_self, args) {
      const found = safeTarget(args, defaultProtocol);
      return found === undefined ? undefined : followRedirectChain(found);
    },
    blocked: (orig, self, args, err) => orig.apply(self, withBlockingAgent(args, mod, err)),
    run(orig, self, args, target) {
      const ctx = newContext(target, false);
      const req = runWithTarget(ctx, orig, self, args) as EgressContext['req'];
      ctx.req = req;
      return req;
    },
  });
}

function clientHook(moduleName: 'http' | 'https', defaultProtocol: 'http:' | 'https:'): HookDefinition {
  return {
    module: moduleName,
    builtin: true,
    patch(exports) {
      const mod = exports as typeof Http;
      wrap(mod, 'request', clientWrapper(mod, moduleName, 'request', defaultProtocol));
      wrap(mod, 'get', clientWrapper(mod, moduleName, 'get', defaultProtocol));
      return exports;
    },
    unpatch(exports) {
      unwrap(exports as object, 'request');
      unwrap(exports as object, 'get');
    },
  };
}

export const httpClientHook = clientHook('http', 'http:');
export const httpsClientHook = clientHook('https', 'https:');
