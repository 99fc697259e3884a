import { callerLookDepth } from '../lib/agent';
import { inCallerContext } from '../lib/context';
import type { PalisadeBlockedError } from '../lib/errors';
import { check, checkAs, sitesBelow, sitesHolder } from '../lib/hooking';
import type { FirstLook } from '../lib/stack';
import type { SqlDialect, SqlOperation } from '../lib/types';

/**
 * What the five SQL driver hooks share: one way to turn query text into a
 * `sql.query` operation, and one call-time wrapper (`judgedQuery`). The statement kind is not computed here: the
 * injection check does not need it, and a policy with SQL rules or an event
 * fills it in on first use (lib/policy/rules-sql.ts, lib/agent.ts).
 */

export type Callback = (err: Error | null, ...rest: unknown[]) => void;

let builds = 0;

/** Test seam: how many SQL operations the hooks have built (one per judged call). */
export function sqlBuildCount(): number {
  return builds;
}

export function sqlOperation(
  driver: string,
  dialect: SqlDialect,
  fn: string,
  text: string,
  db: string | undefined,
): SqlOperation {
  builds++;
  const resource: SqlOperation['resource'] = { driver, dialect, text };
  if (db !== undefined && db !== '') resource.db = db;
  return { name: 'sql.query', module: driver, fn, resource };
}

/** `sql` or `{ sql }` / `{ text }` (the key differs per driver). */
export function textOf(q: unknown, key: 'sql' | 'text'): string | undefined {
  if (typeof q === 'string') return q;
  if (q !== null && typeof q === 'object') {
    const t = (q as Record<string, unknown>)[key];
    if (typeof t === 'string') return t;
  }
  return undefined;
}

export function lastFunction(args: readonly unknown[]): Callback | undefined {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as Callback) : undefined;
}

/** host:port/database, never credentials. */
export function dbIdentity(host: unknown, port: unknown, database: unknown): string | undefined {
  if (host === undefined && database === undefined) return undefined;
  const h = host === undefined || host === null ? '' : String(host);
  const p = port === undefined || port === null || port === '' ? '' : `:${String(port)}`;
  const d = database === undefined || database === null ? '' : `/${String(database)}`;
  return `${h}${p}${d}`;
}

/** The prototype in `proto`'s chain that owns `name` (patching there covers every subclass once). */
export function ownerOf(proto: object | null | undefined, name: string): object | undefined {
  let p: object | null | undefined = proto;
  while (p !== null && p !== undefined && p !== Object.prototype) {
    if (Object.prototype.hasOwnProperty.call(p, name)) return p;
    p = Object.getPrototypeOf(p) as object | null;
  }
  return undefined;
}

export function noop(): void {
  /* keeps an 'error' emission on a blocked query from crashing an app that did not listen */
}

/**
 * The call's callbacks, run in the caller's async context (lib/context.ts, `inCallerContext`): a driver calls
 * them from a pooled connection's socket, whose context is the request that opened the connection.
 */
export function bindCallbacks(args: unknown[]): void {
  for (let i = 0; i < args.length; i++) if (typeof args[i] === 'function') args[i] = inCallerContext(args[i]);
}

/** A query object's events (rows, fields, end, error) and its stored callback, emitted in the caller's context. */
export function bindEvents(q: unknown, callbackKey?: string): void {
  if (q === null || typeof q !== 'object') return;
  const o = q as Record<string, unknown>;
  try {
    // Rebound: the object may be the app's, reused for another request.
    if (typeof o.emit === 'function') o.emit = inCallerContext(o.emit, true);
    if (callbackKey !== undefined && typeof o[callbackKey] === 'function') o[callbackKey] = inCallerContext(o[callbackKey], true);
  } catch {
    // A frozen query object keeps its own context: the query itself must still run.
  }
}

/** A mysql or mysql2 query run with its callbacks bound, and the query (or command) object it returns. */
export function callBound(orig: (...a: unknown[]) => unknown, self: unknown, args: unknown[]): unknown {
  bindCallbacks(args);
  const q = orig.apply(self, args);
  bindEvents(q);
  return q;
}

type AnyFn = (...a: unknown[]) => unknown;

/** One call-time entry point of a driver: a connection's or a pool's `query` or `execute`, a database's `prepare`, `exec`, …. */
export interface SqlEntry<S> {
  /** Where the depth from the wrapper to its caller is learned (`callerLookDepth`): one key per entry point. */
  key: string;
  build: (self: S, args: unknown[]) => SqlOperation | undefined;
  /** A call a pool judged already (it carries the pool's mark): passed through unjudged. */
  judgedBefore?: (args: unknown[]) => boolean;
  /** The blocked call's result, failed in the driver's own convention. */
  blocked: (self: S, args: unknown[], err: PalisadeBlockedError) => unknown;
  /** The allowed call. */
  run: (orig: AnyFn, self: S, args: unknown[]) => unknown;
}

/*
 * Every SQL entry point's wrapper. Under package scopes it reads the caller's call sites in its own frame and
 * hands them to `checkAs`, so that `check`'s optimised frame is not among those V8 summarises (~11 k
 * instructions a judged call: lib/hooking.ts above `sitesHolder`, docs/performance-history.md "Session 27"). One
 * wrapper for all of them rather than the capture repeated in each: what differs (the pool's mark, the
 * block's convention, what runs) is called out of this frame, never below the capture. Read before the build,
 * which drops only a call with no SQL text.
 */
export function judgedQuery<S>(entry: SqlEntry<S>): (orig: AnyFn) => AnyFn {
  const { key, build, judgedBefore, blocked, run } = entry;
  return (orig) =>
    function judgedQuery(this: S, ...args: unknown[]): unknown {
      if (judgedBefore !== undefined && judgedBefore(args)) return orig.apply(this, args);
      let caller: FirstLook | undefined;
      const look = callerLookDepth('sql.query', key);
      if (look > 0) {
        try {
          Error.captureStackTrace(sitesHolder(look), judgedQuery);
        } finally {
          caller = sitesBelow(judgedQuery, key);
        }
      }
      const err = caller === undefined ? check('sql.query', build, this, args) : checkAs('sql.query', build, caller, this, args, undefined);
      return err === undefined ? run(orig, this, args) : blocked(this, args, err);
    };
}
