import { AsyncLocalStorage, AsyncResource, executionAsyncResource } from 'node:async_hooks';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { TaintInput } from './types';
import type { InputList } from './taint/sources';
import type { OverflowLeaves, OverflowPart } from './taint/overflow';
import type { PathClimb } from './detectors/path';

/**
 * The untrusted scope a sink call runs in: an HTTP request, or a scope the
 * app opened with `untrusted()` (a queue message, a CLI argument, an LLM
 * tool call). Everything expensive is lazy: inputs are extracted on the first
 * sink call that needs them, then cached here.
 */
export interface Scope {
  /** Request facts for events; absent for non-HTTP scopes. */
  request?: RequestScope;
  /** Fixed inputs of a non-HTTP scope (already flattened with their sources). */
  fixedInputs?: TaintInput[];
  /** Label of a non-HTTP scope, for events ("queue:orders"). */
  label?: string;
  /** Cached extraction; see taint/index.ts. */
  cache?: InputCache;
  /** Climbs out of an app-chosen directory that this scope's node:path calls made (hooks/path.ts), for the fs check. */
  climbs?: PathClimb[];
}

/** Framework objects seen for this request; read at sink time (bodies are parsed after the request starts). */
export interface FrameworkRefs {
  name: 'express' | 'fastify' | 'koa';
  /** fastify request / koa ctx; express decorates the raw req itself. */
  holder?: { body?: unknown; params?: unknown; request?: { body?: unknown }; routeOptions?: { url?: string }; _matchedRoute?: unknown };
}

export interface RequestScope {
  req: IncomingMessage;
  res: ServerResponse;
  /**
   * The URL as the request arrived. Frameworks rewrite `req.url` while a request runs (express and koa-mount
   * strip the mount path inside mounted middleware), so inputs, policy paths and events read this instead.
   */
  url: string;
  /**
   * The request's headers object, taken when the scope opens. Node has built it by then (its server reads `host`
   * and `expect`), so taking it costs a field read. Read later from an express request, it cost a stub-cache miss
   * and a walk of three prototypes: on Node 20 every express request gets a hidden class of its own (V8 records
   * no transitions from the class `Object.setPrototypeOf` gives it), so no inline cache holds it
   * (docs/performance-history.md, session 32). The same object the app reads: headers it adds are seen; a
   * headers object it swaps in is not.
   */
  headers: IncomingHttpHeaders;
  /** Bounded passive copy of the raw body for plain-http apps. */
  rawBody?: Buffer[];
  rawBodyBytes: number;
  rawBodyTruncated: boolean;
  framework?: FrameworkRefs;
  /** Where `run` copies (`runCopies`): the request's context, to re-enter without a copy (hooks/http-server.ts). */
  context?: AsyncResource;
}

/** The request's path as it arrived, without the query: what policy route scopes match and events show. */
export function requestPath(r: RequestScope): string {
  const q = r.url.indexOf('?');
  return q === -1 ? r.url : r.url.slice(0, q);
}

/** Cached extraction (taint/index.ts, `extracted`): one list of a request's inputs, extended part by part. */
export interface InputCache {
  list?: InputList;
  /** Where the base inputs end in `list` (items, non-word items, overflow parts), and the body's. */
  baseEnd?: number;
  baseNonWord?: number;
  baseOverflow?: number;
  bodyEnd?: number;
  bodyNonWord?: number;
  bodyOverflow?: number;
  bodyRef?: unknown;
  rawBodyLen?: number;
  paramsRef?: unknown;
  route?: string;
  /** Whether the path may have segments of its own, for which the route is read (taint/index.ts, `segmented`). */
  segmented?: boolean;
  all?: TaintInput[];
  /** `all` without the one-word inputs (taint/index.ts, nonWordInputsOf). */
  nonWord?: TaintInput[];
  /** A fixed-input scope's `fixedInputs`, of which `nonWord` was filtered. */
  nonWordOf?: readonly TaintInput[];
  /** The list's overflow parts, of which `overflowLeaves` are the flattened leaves (taint/index.ts). */
  overflowOf?: readonly OverflowPart[];
  overflowLength?: number;
  overflowLeaves?: OverflowLeaves;
}

/**
 * What else must follow async hops besides the scope: the outgoing request a
 * socket is opened for (hooks/net.ts) and "inside an fs call already judged"
 * (hooks/fs.ts). It rides in the scope's AsyncLocalStorage, as a wrapper
 * that exists only while such a call runs, rather than in storages of its
 * own: on Node 20 every enabled AsyncLocalStorage adds a propagation step to
 * every promise and async resource the app creates, for the rest of the
 * process (the net one was enabled by the first outgoing request).
 */
export class Frame {
  constructor(
    readonly scope: Scope | undefined,
    readonly egress: object | undefined,
    readonly fsNested: boolean,
  ) {}
}

export const storage = new AsyncLocalStorage<Scope | Frame>();

/**
 * Whether `storage.run` copies a Map twice. On Node 24 (and 22 with --experimental-async-context-frame) the
 * stores live in an AsyncContextFrame, and `run` makes a new frame, a copy of the current one's Map, on entering
 * and another on restoring (~1.2 k instructions a run), where an AsyncResource re-enters the frame it was made
 * in without a copy. On the async_hooks implementation (Node 20 and 22), which has `_propagate`, `run` copies
 * nothing and an AsyncResource's before and after steps cost more: `run` stays (docs/performance-history.md,
 * "Session 30").
 * Told apart by an internal name, so a wrong answer must only cost time: both ways enter the same context.
 */
export const runCopies = typeof (storage as unknown as { _propagate?: unknown })._propagate !== 'function';

/**
 * The current context, kept to re-enter it, or undefined where `run` is the cheaper (`runCopies`). Destroyed by
 * the collector, not by hand: an APM that tracks resources from init to destroy through async_hooks would
 * otherwise keep one entry per request.
 */
export function reentry(): AsyncResource | undefined {
  return runCopies ? new AsyncResource('PALISADE_SCOPE') : undefined;
}

/** Run `fn` in `scope` from outside it: through the request's kept context where it has one (`reentry`), else `run`. */
export function enterScope<A extends unknown[], R>(scope: Scope, fn: (...args: A) => R, ...args: A): R {
  const context = scope.request?.context;
  if (context !== undefined) return context.runInAsyncScope(fn, undefined, ...args);
  return storage.run(scope, fn, ...args);
}

export function currentScope(): Scope | undefined {
  const s = storage.getStore();
  return s instanceof Frame ? s.scope : s;
}

export function currentFrame(): Frame | undefined {
  const s = storage.getStore();
  return s instanceof Frame ? s : undefined;
}

/** Run `fn` with an outgoing request's context in place (hooks/net.ts); the scope and the fs marker stay. */
export function runWithEgress<A extends unknown[], R>(egress: object, fn: (...args: A) => R, ...args: A): R {
  const s = storage.getStore();
  const frame = s instanceof Frame ? new Frame(s.scope, egress, s.fsNested) : new Frame(s, egress, false);
  return storage.run(frame, fn, ...args);
}

/** Run `fn` marked as inside an fs call already judged (hooks/fs.ts); the scope and the egress context stay. */
export function runFsNested<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
  const s = storage.getStore();
  const frame = s instanceof Frame ? new Frame(s.scope, s.egress, true) : new Frame(s, undefined, true);
  return storage.run(frame, fn, ...args);
}

/**
 * Run `fn` with no scope: for what belongs to a connection rather than to the request that happens to be
 * running (hooks/http-server.ts, the keep-alive timer). `storage.exit` would do it too, but on Node 20 it
 * disables the storage, and with it the async hook, for the length of the call.
 */
export function runOutsideScope<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
  if (outside !== undefined) return outside.runInAsyncScope(fn, undefined, ...args);
  return storage.run(undefined as unknown as Scope, fn, ...args);
}

/** Made as this module loads, at start-up, outside every scope (`runCopies`). */
const outside = reentry();

const kUnbound = Symbol('palisade.unbound');
type Bindable = ((this: unknown, ...args: unknown[]) => unknown) & { [kUnbound]?: Bindable };

/**
 * `fn`, to run in the async context current now rather than in the one it is called from: the app's callback
 * of an fs call that Palisade runs under its "already judged" marker (hooks/fs.ts), and database callbacks.
 * Only Palisade's own storage is switched, which is all either needs, without an AsyncResource per call. Drivers
 * call back from their connection's socket, and a socket keeps the context it was opened in: a pooled
 * connection's callbacks and query events would run in the request that happened to open it, for as long as
 * the pool keeps it, and a sink reached from them would be judged against that request's inputs.
 *
 * A function bound here before keeps its binding (a driver passing the app's callback on from a later
 * callback of its own), unless `rebind`: then it is bound afresh from its original, not wrapped twice (a
 * callback stored on a config object the app reuses for another request).
 */
export function inCallerContext<F>(fn: F, rebind = false): F {
  if (typeof fn !== 'function') return fn;
  const previous = (fn as Bindable)[kUnbound];
  if (previous !== undefined && !rebind) return fn;
  const original = previous ?? (fn as Bindable);
  const store = storage.getStore();
  const bound = function (this: unknown): unknown {
    return storage.run(store as Scope, Reflect.apply, original, this, arguments);
  } as Bindable;
  bound[kUnbound] = original;
  return bound as F;
}

export function runInScope<T>(scope: Scope, fn: () => T): T {
  return storage.run(scope, fn);
}

let pinnedTick: object | undefined;
let pinScheduled = false;

/**
 * Keep one of Node's `process.nextTick` objects alive for the rest of the
 * process. Node builds each one with an object literal whose first keys are
 * computed (symbols: two on Node 20, three on Node 24); V8 records the map
 * those stores see, and when a full collection runs at a moment no tick
 * object is alive, it frees that map. The next tick object then gets a new
 * map, the stores' feedback turns megamorphic, and from then on every
 * nextTick stores its keys through the runtime: ~300-450 ns a call instead
 * of ~100, ~35 k instructions per request on fastify's empty route
 * (docs/performance-history.md, session 17). Palisade's start-up heap (~7.6 MB)
 * brings the first full collection forward into that window on a small app;
 * a live tick object keeps the map (and, through its back pointers, the maps
 * before it), so the feedback stays monomorphic. The object pinned is tiny:
 * the callback below, no arguments, no request scope (it is taken at
 * start-up).
 */
export function pinTickObjectMap(): void {
  if (pinScheduled) return;
  pinScheduled = true;
  process.nextTick(() => {
    try {
      // Inside a nextTick callback the execution resource is the tick object itself.
      pinnedTick = executionAsyncResource();
    } catch {
      // Nothing depends on the pin but speed.
    }
  });
}

/** The tick object `pinTickObjectMap` keeps (for tests). */
export function pinnedTickObject(): object | undefined {
  return pinnedTick;
}
