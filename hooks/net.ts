import { hostSpan } from '../lib/detectors/ssrf';
import * as dns from 'node:dns';
import * as net from 'node:net';
import { callerLookDepth, callerNow, lastCaller, policyRestricts, shouldInspect } from '../lib/agent';
import { currentFrame, currentScope, runWithEgress, storage, type Scope } from '../lib/context';
import { INTERNAL_CLASSES, classifyAddress, classifyHost, parseHostSpelling } from '../lib/detectors/ip';
import { isPalisadeBlockedError, type PalisadeBlockedError } from '../lib/errors';
import { check, checkAs, sitesBelow, sitesHolder, unwrap, wrap, type HookDefinition } from '../lib/hooking';
import type { FirstLook } from '../lib/stack';
import { installOutsideRequestDetector } from '../lib/outside-request';
import type { NetOperation, NetResource } from '../lib/types';

/**
 * net.connect, judged twice for one logical request:
 *
 * 1. At call time (hooks/http-client.ts, fetch.ts, undici.ts): the URL the
 *    app asked for, so taint and host rules apply before anything happens —
 *    and on every request, including those that reuse a keep-alive socket.
 *    A host that is an IP in any spelling is known here already.
 * 2. At connect time (this file): `net.Socket.prototype.connect`, under
 *    http, https, tls, fetch's bundled undici, the undici package, axios and
 *    got alike. For a name, the socket's `lookup` is wrapped so the address
 *    the socket is about to connect to is judged after DNS (rebinding,
 *    redirects followed inside the client). A block fails the lookup, so the
 *    error takes Node's own connect-error path and no SYN is ever sent.
 *
 * The call-time hooks leave an EgressContext in an AsyncLocalStorage so the
 * connect-time check knows which URL the socket is for.
 */

/** Where a call-time hook says a logical request goes. */
export interface Target {
  /** The URL the app asked for (as passed, when it had no credentials). */
  url?: string;
  /** Host without IPv6 brackets, as the client will connect to it. */
  host: string;
  /** Host exactly as the app spelled it. */
  rawHost: string;
  port?: number;
  protocol?: string;
  /** Canonical IP when the host is an IP literal in any spelling, or the address the name resolved to before. */
  address?: string;
}

export interface EgressContext {
  target: Target;
  /**
   * A connection to another host made in this context is a redirect the
   * client follows internally (fetch, undici). False when only a proxy or a
   * custom agent could explain another host (http.request, proxy dispatchers).
   */
  followsRedirects: boolean;
  /** http: the ClientRequest, so a nested call made on its 3xx response is seen as following it. */
  req?: { res?: { statusCode?: number } | null };
  /** Destinations already judged for this logical request (the target, redirect hops). */
  judged: Target[];
  /** Who made the request, when the policy needed to know: its hops and sockets are judged as that caller's. */
  caller?: FirstLook;
}

/** The outgoing request being made in this async context, if any (kept in the scope's storage: lib/context.ts). */
export function currentEgress(): EgressContext | undefined {
  return currentFrame()?.egress as EgressContext | undefined;
}

/** The context of a request `check` has just allowed (its caller, when the policy needed it, is `lastCaller`'s). */
export function newContext(target: Target, followsRedirects: boolean): EgressContext {
  const ctx: EgressContext = { target, followsRedirects, judged: [target] };
  const caller = lastCaller();
  if (caller !== undefined) ctx.caller = caller;
  return ctx;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };

export function defaultPort(protocol: string | undefined): number | undefined {
  return protocol === undefined ? undefined : DEFAULT_PORTS[protocol];
}

export function bareHost(h: string): string {
  return h.length > 1 && h.charCodeAt(0) === 0x5b && h.charCodeAt(h.length - 1) === 0x5d ? h.slice(1, -1) : h;
}

/** Canonical form for comparing hosts: IPs in any spelling, names lower-cased without a trailing dot. */
function hostKey(h: string): string {
  const b = bareHost(h);
  const ip = parseHostSpelling(b);
  if (ip !== undefined) return ip;
  const lower = b.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** The host as spelled inside a URL string (between '//' and the path, without userinfo and port). */
export function rawHostOf(url: string): string | undefined {
  if (url.indexOf('://') === -1) return undefined;
  const span = hostSpan(url);
  return span === undefined ? undefined : url.slice(span.start, span.end);
}

/*
 * Names this process has resolved, for the call-time check: a request to a
 * name may reuse a keep-alive socket, so no lookup (and no connect-time
 * check) happens for it. Bounded: at most MAX_NAMES names, MAX_PER_NAME
 * addresses each, oldest name evicted first.
 */
const MAX_NAMES = 1024;
const MAX_PER_NAME = 4;
const resolvedNames = new Map<string, string[]>();

function remember(host: string, addresses: readonly string[]): void {
  const key = hostKey(host);
  const list = resolvedNames.get(key) ?? [];
  for (const a of addresses) {
    const c = parseHostSpelling(a);
    if (c !== undefined && !list.includes(c)) list.push(c);
  }
  if (list.length > MAX_PER_NAME) list.splice(0, list.length - MAX_PER_NAME);
  resolvedNames.delete(key);
  if (resolvedNames.size >= MAX_NAMES) {
    const oldest = resolvedNames.keys().next();
    if (oldest.done !== true) resolvedNames.delete(oldest.value);
  }
  resolvedNames.set(key, list);
}

/**
 * The address a host stands for before any lookup: an IP literal in any
 * spelling, or what the name resolved to before (an internal one first:
 * a pooled socket may still be connected to it).
 */
export function knownAddress(host: string): string | undefined {
  const literal = parseHostSpelling(host);
  if (literal !== undefined) return literal;
  const seen = resolvedNames.get(hostKey(host));
  if (seen === undefined || seen.length === 0) return undefined;
  return seen.find((a) => INTERNAL_CLASSES.has(classifyAddress(a))) ?? seen[0];
}

/** A target from a URL (string as the app passed it, or a URL object). Undefined when it does not parse. */
export function targetFromUrl(input: string | URL): Target | undefined {
  let u: URL;
  try {
    u = typeof input === 'string' ? new URL(input) : input;
  } catch {
    return undefined;
  }
  if (u.hostname === '') return undefined;
  const raw = typeof input === 'string' ? input : u.href;
  let url = raw;
  if (u.username !== '' || u.password !== '') {
    const c = new URL(u.href);
    c.username = '';
    c.password = '';
    url = c.href;
  }
  const host = bareHost(u.hostname);
  const t: Target = {
    url,
    host,
    rawHost: rawHostOf(raw) ?? u.hostname,
    protocol: u.protocol,
  };
  const port = u.port !== '' ? Number(u.port) : defaultPort(u.protocol);
  if (port !== undefined) t.port = port;
  const address = knownAddress(host);
  if (address !== undefined) t.address = address;
  return t;
}

/**
 * A call made while the current request's 3xx response is being handled
 * (follow-redirects under axios, got) keeps the URL the app asked for:
 * taint belongs to the chain, the redirect target only says where it ends.
 */
export function followRedirectChain(t: Target): Target {
  const parent = currentEgress();
  const status = parent?.req?.res?.statusCode;
  if (parent === undefined || status === undefined || status < 300 || status > 399) return t;
  const p = parent.target;
  const out: Target = { ...t, rawHost: p.rawHost };
  if (p.url !== undefined) out.url = p.url;
  return out;
}

/** check() build function for call-time operations. */
export function callOp(t: Target, module: string, fn: string): NetOperation {
  const resource: NetResource = { host: t.host, rawHost: t.rawHost };
  if (t.url !== undefined) resource.url = t.url;
  if (t.port !== undefined) resource.port = t.port;
  if (t.protocol !== undefined) resource.protocol = t.protocol;
  if (t.address !== undefined) resource.address = t.address;
  return { name: 'net.connect', module, fn, resource };
}

type AnyFn = (...a: unknown[]) => unknown;

/** One call-time entry point of an HTTP client: http(s).request and get, fetch, undici's APIs and methods. */
export interface ConnectEntry {
  /** Where the depth from the wrapper to its caller is learned (`callerLookDepth`): one key per entry point. */
  key: string;
  module: string;
  /** The operation's `fn`, or how to read it from the receiver (a dispatcher's class). */
  fn: string | ((self: unknown) => string);
  /** Where the call goes. Undefined: passed through unjudged (the client reports arguments it cannot read). */
  target: (self: unknown, args: unknown[]) => Target | undefined;
  /** The blocked call's result, in the client's own convention. */
  blocked: (orig: AnyFn, self: unknown, args: unknown[], err: PalisadeBlockedError) => unknown;
  /** The allowed call, run with its egress context in place (`runWithTarget`). */
  run: (orig: AnyFn, self: unknown, args: unknown[], target: Target) => unknown;
}

/*
 * Every HTTP client entry point's wrapper. Under package scopes it reads the caller's call sites in its own
 * frame and hands them to `checkAs`, so that `check`'s optimised frame is not among those V8 summarises
 * (~11 k instructions a judged call: lib/hooking.ts above `sitesHolder`, docs/performance-history.md "Session 27").
 * One wrapper for all of them rather than the capture repeated in each: what differs is called out of this
 * frame, never below the capture. Read only for a call with a target, which will be judged.
 */
export function judgedConnect(entry: ConnectEntry): (orig: AnyFn) => AnyFn {
  const { key, module, fn, target, blocked, run } = entry;
  return (orig) =>
    function judgedConnect(this: unknown, ...args: unknown[]): unknown {
      if (!shouldInspect('net.connect')) return orig.apply(this, args);
      const t = target(this, args);
      if (t === undefined) return orig.apply(this, args);
      let caller: FirstLook | undefined;
      const look = callerLookDepth('net.connect', key);
      if (look > 0) {
        try {
          Error.captureStackTrace(sitesHolder(look), judgedConnect);
        } finally {
          caller = sitesBelow(judgedConnect, key);
        }
      }
      const f = typeof fn === 'string' ? fn : fn(this);
      const err = caller === undefined ? check('net.connect', callOp, t, module, f) : checkAs('net.connect', callOp, caller, t, module, f);
      return err === undefined ? run(orig, this, args, t) : blocked(orig, this, args, err);
    };
}

/** undici's global dispatcher slot, shared by Node's bundled fetch and the undici package. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
const PROXY_DISPATCHERS: ReadonlySet<string> = new Set(['ProxyAgent', 'EnvHttpProxyAgent', 'Socks5ProxyAgent']);

/**
 * Through a proxy dispatcher every socket goes to the proxy, whose address
 * the app configured: those sockets must not be judged as the request's
 * redirects. Recognised by class name, which undici has kept stable.
 */
export function followsRedirectsThrough(dispatcher: unknown): boolean {
  const d = dispatcher ?? (globalThis as Record<symbol, unknown>)[GLOBAL_DISPATCHER];
  const name = (d as { constructor?: { name?: unknown } } | null | undefined)?.constructor?.name;
  return typeof name !== 'string' || !PROXY_DISPATCHERS.has(name);
}


function applyIn(f: AnyFn, self: unknown, args: unknown[]): unknown {
  return f.apply(self, args);
}

/** Run the original call with the egress context in place for its sockets. */
export function runWithTarget(ctx: EgressContext, f: AnyFn, self: unknown, args: unknown[]): unknown {
  return runWithEgress(ctx, applyIn, f, self, args);
}

/**
 * fetch (bundled or npm undici) reports a connect-time failure as
 * TypeError('fetch failed', { cause }); the app should see the block itself,
 * with its code and statusCode, the same as a call-time block.
 */
export function unwrapBlocked(e: unknown): never {
  const cause = e instanceof TypeError ? (e as { cause?: unknown }).cause : undefined;
  throw isPalisadeBlockedError(cause) ? cause : e;
}

/** undici's Request as published on 'undici:request:create' (Node's bundled undici and the package alike). */
interface UndiciRequest {
  origin?: unknown;
  path?: unknown;
  onError?: unknown;
}

function hopTarget(request: UndiciRequest): Target | undefined {
  const o = request.origin;
  const origin = typeof o === 'string' ? o : o instanceof URL ? o.origin : undefined;
  if (origin === undefined) return undefined;
  return targetFromUrl(typeof request.path === 'string' && request.path.startsWith('/') ? origin + request.path : origin);
}

/**
 * Subscriber of 'undici:request:create': every request undici creates. In
 * a fetch/undici context, a request to an origin not judged yet is a
 * redirect the client follows itself — it may reuse a pooled socket, so no
 * connect-time check would see it. It is judged with the URL the app asked
 * for, and a block fails the request before it is queued (Request.onError
 * marks it aborted, so it is never written).
 */
export function judgeUndiciRequest(message: unknown): void {
  try {
    if (!shouldInspect('net.connect')) return;
    const ctx = currentEgress();
    if (ctx === undefined || !ctx.followsRedirects) return;
    const request = (message as { request?: UndiciRequest } | null)?.request;
    if (request === undefined || request === null) return;
    const hop = hopTarget(request);
    if (hop === undefined) return;
    const key = hostKey(hop.host);
    if (ctx.judged.some((j) => hostKey(j.host) === key && j.port === hop.port)) return;
    ctx.judged.push(hop);
    const chain: Target = { ...hop, rawHost: ctx.target.rawHost };
    if (ctx.target.url !== undefined) chain.url = ctx.target.url;
    // Judged from undici's frames, long after the call: as the caller that made the request.
    const err = checkAs('net.connect', callOp, ctx.caller, chain, 'undici', 'redirect');
    if (err !== undefined && typeof request.onError === 'function') (request.onError as (e: Error) => void).call(request, err);
  } catch {
    // A throwing subscriber would surface as an uncaught exception: fail open.
  }
}

/* ---------------------------- connect time ---------------------------- */

interface ConnectInfo {
  host: string;
  rawHost: string;
  port: number | undefined;
  tls: boolean;
  ctx: EgressContext | undefined;
  scope: Scope | undefined;
  /** Who called connect(), for a connect judged when its lookup answers (no frame of the caller's is left then). */
  caller?: FirstLook;
}

type LookupCb = (err: Error | null, address?: unknown, family?: unknown) => void;
type LookupFn = (hostname: string, options: unknown, cb: LookupCb) => unknown;

/** The socket serves the context's own target (same host and port), not a proxy or a redirect. */
function sameTarget(c: ConnectInfo, t: Target): boolean {
  return hostKey(c.host) === hostKey(t.host) && (t.port === undefined || c.port === undefined || t.port === c.port);
}

function connectOp(c: ConnectInfo, address: string): NetOperation {
  const resource: NetResource = { host: c.host, rawHost: c.rawHost, address };
  if (c.port !== undefined) resource.port = c.port;
  const ctx = c.ctx;
  if (ctx !== undefined) {
    const same = sameTarget(c, ctx.target);
    if (same || ctx.followsRedirects) {
      // The socket serves the app's logical request: judge it with the URL the app asked for.
      if (ctx.target.url !== undefined) resource.url = ctx.target.url;
      resource.rawHost = ctx.target.rawHost;
    }
    if (same && ctx.target.protocol !== undefined) resource.protocol = ctx.target.protocol;
    else if (ctx.followsRedirects) resource.protocol = c.tls ? 'https:' : 'http:';
  }
  return { name: 'net.connect', module: c.tls ? 'tls' : 'net', fn: 'connect', resource };
}

/**
 * One event per logical request: the connect-time check is skipped when
 * this destination was already judged for the request (at call time, or as
 * a redirect hop) — with the same address (an IP literal, a name's earlier
 * resolution), or, for a name, with an address of the same class
 * (localhost, metadata names): same class, same verdict. A policy may have
 * CIDR rules that need the exact address, so with a net.connect policy only
 * the same address counts.
 */
function alreadyJudged(c: ConnectInfo, address: string): boolean {
  const list = c.ctx?.judged;
  if (list === undefined) return false;
  const canonical = parseHostSpelling(address);
  if (canonical === undefined) return false;
  for (const j of list) {
    if (!sameTarget(c, j)) continue;
    if (j.address === canonical) return true;
    if (parseHostSpelling(j.host) !== undefined) continue;
    const judgedClass = j.address !== undefined ? classifyAddress(j.address) : classifyHost(j.host)?.class;
    if (judgedClass !== undefined && judgedClass === classifyAddress(canonical) && !policyRestricts('net.connect')) return true;
  }
  return false;
}

function judge(c: ConnectInfo, address: string): PalisadeBlockedError | undefined {
  if (alreadyJudged(c, address)) return undefined;
  return c.caller !== undefined ? checkAs('net.connect', connectOp, c.caller, c, address, undefined) : check('net.connect', connectOp, c, address);
}

/** Judge in the scope the connect() call was made in, whatever context a custom lookup calls back in. */
function judgeInScope(c: ConnectInfo, address: string): PalisadeBlockedError | undefined {
  if (currentScope() === c.scope) return judge(c, address);
  if (c.scope === undefined) return storage.exit(judge, c, address);
  return storage.run(c.scope, judge, c, address);
}

function addressesOf(result: unknown): string[] {
  if (typeof result === 'string') return [result];
  if (!Array.isArray(result)) return [];
  const out: string[] = [];
  for (const entry of result as Array<{ address?: unknown }>) if (typeof entry?.address === 'string') out.push(entry.address);
  return out;
}

/** Every distinct address a lookup returned (happy eyeballs may try each); the first block wins. */
function judgeLookupResult(c: ConnectInfo, result: unknown): PalisadeBlockedError | undefined {
  if (typeof result === 'string') return judgeInScope(c, result);
  if (!Array.isArray(result)) return undefined;
  const seen: string[] = [];
  for (const entry of result as Array<{ address?: unknown }>) {
    const a = entry?.address;
    if (typeof a !== 'string' || seen.includes(a)) continue;
    seen.push(a);
    const err = judgeInScope(c, a);
    if (err !== undefined) return err;
  }
  return undefined;
}

function judgingLookup(c: ConnectInfo, inner: LookupFn | undefined): LookupFn {
  return function palisadeLookup(hostname: string, options: unknown, cb: LookupCb): unknown {
    // dns.lookup is read at call time: others (test guards, caches) may replace it.
    const lookup = inner ?? (dns.lookup as unknown as LookupFn);
    return lookup(hostname, options, (err, address, family) => {
      if (err !== null && err !== undefined) return cb(err, address, family);
      let blocked: PalisadeBlockedError | undefined;
      try {
        remember(c.host, addressesOf(address));
        blocked = judgeLookupResult(c, address);
      } catch {
        blocked = undefined; // fail open: check() already reports its own internal errors
      }
      if (blocked !== undefined) return cb(blocked);
      return cb(null, address, family);
    });
  };
}

/** A name that never resolves, so a blocked IP-literal connect fails through Node's lookup error path. */
const BLOCKED_HOST = 'connection-blocked-by-palisade.invalid';

function failingLookup(err: PalisadeBlockedError): LookupFn {
  return (_h, _o, cb) => {
    process.nextTick(cb, err);
    return undefined;
  };
}

interface ConnectArgs {
  opts: Record<string, unknown>;
  cb: unknown;
}

/** socket.connect(options[, cb]) | connect(port[, host][, cb]) | connect([options, cb]) (net.connect's normalised form). */
function connectArgs(args: unknown[]): ConnectArgs | undefined {
  const a0 = args[0];
  if (Array.isArray(a0)) {
    const o = a0[0];
    return o !== null && typeof o === 'object' ? { opts: o as Record<string, unknown>, cb: a0[1] } : undefined;
  }
  if (a0 !== null && typeof a0 === 'object') return { opts: a0 as Record<string, unknown>, cb: args[1] };
  if (typeof a0 === 'number' || (typeof a0 === 'string' && a0 !== '' && /^\d+$/.test(a0))) {
    const host = typeof args[1] === 'string' ? args[1] : undefined;
    const cb = typeof args[1] === 'function' ? args[1] : args[2];
    return { opts: host === undefined ? { port: a0 } : { port: a0, host }, cb };
  }
  return undefined; // an IPC path
}

function portOf(p: unknown): number | undefined {
  const n = typeof p === 'number' ? p : typeof p === 'string' && p !== '' ? Number(p) : NaN;
  return Number.isInteger(n) ? n : undefined;
}

function withOptions(orig: AnyFn, self: unknown, ca: ConnectArgs, opts: Record<string, unknown>): unknown {
  return typeof ca.cb === 'function' ? orig.call(self, opts, ca.cb) : orig.call(self, opts);
}

function connectWrapper(tlsSocket: (s: unknown) => boolean): (orig: AnyFn) => AnyFn {
  return (orig) =>
    function connect(this: unknown, ...args: unknown[]): unknown {
      if (!shouldInspect('net.connect')) return orig.apply(this, args);
      let ca: ConnectArgs | undefined;
      try {
        ca = connectArgs(args);
      } catch {
        ca = undefined;
      }
      if (ca === undefined || (ca.opts.path !== undefined && ca.opts.path !== null)) return orig.apply(this, args);
      const rawHost = typeof ca.opts.host === 'string' && ca.opts.host !== '' ? ca.opts.host : 'localhost';
      const info: ConnectInfo = {
        host: bareHost(rawHost),
        rawHost,
        port: portOf(ca.opts.port),
        tls: tlsSocket(this),
        ctx: currentEgress(),
        scope: currentScope(),
      };
      // A socket that serves a request a call-time hook judged (connectOp) is that request's caller's; a client
      // such as fetch may open it later, from its own frames.
      const ctx = info.ctx;
      if (ctx?.caller !== undefined && (ctx.followsRedirects || sameTarget(info, ctx.target))) info.caller = ctx.caller;
      if (net.isIP(rawHost) !== 0) {
        // No lookup will happen: the literal is the address.
        const err = judge(info, rawHost);
        if (err === undefined) return orig.apply(this, args);
        return withOptions(orig, this, ca, { ...ca.opts, host: BLOCKED_HOST, lookup: failingLookup(err) });
      }
      const inner = typeof ca.opts.lookup === 'function' ? (ca.opts.lookup as LookupFn) : undefined;
      // The connect is judged when the lookup answers, from Node's frames alone: who called is read now.
      if (info.caller === undefined) {
        const caller = callerNow('net.connect', connect);
        if (caller !== undefined) info.caller = caller;
      }
      return withOptions(orig, this, ca, { ...ca.opts, lookup: judgingLookup(info, inner) });
    };
}

export const netHook: HookDefinition = {
  module: 'net',
  builtin: true,
  patch(exports) {
    installOutsideRequestDetector();
    const n = exports as typeof net;
    // tls is loaded lazily by Node; a TLSSocket is recognised by its own marker instead.
    wrap(n.Socket.prototype, 'connect', connectWrapper((s) => (s as { encrypted?: unknown }).encrypted === true));
    return exports;
  },
  unpatch(exports) {
    unwrap((exports as typeof net).Socket.prototype, 'connect');
  },
};
