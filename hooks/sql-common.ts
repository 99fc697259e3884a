import { inCallerContext } from '../lib/context';
import type { SqlDialect, SqlOperation } from '../lib/types';

/**
 * What the five SQL driver hooks share: one way to turn query text into a
 * `sql.query` operation. The statement kind is not computed here: the
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
