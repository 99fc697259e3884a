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
