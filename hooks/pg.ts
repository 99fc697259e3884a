import type { EventEmitter } from 'node:events';
import { callbackLater, rejected } from '../lib/enforce';
import type { PalisadeBlockedError } from '../lib/errors';
import { unwrap, wrap, type HookDefinition } from '../lib/hooking';
import type { SqlOperation } from '../lib/types';
import { bindCallbacks, bindEvents, dbIdentity, judgedQuery, noop, ownerOf, sqlOperation, type Callback } from './sql-common';

/**
 * pg → sql.query, judged where the app called: `Client.prototype.query`
 * and pg-pool's `Pool.prototype.query`. A pool query reaches a client's
 * query later, possibly from a callback of another request when the pool is
 * exhausted, so the pool judges it at call time (in the right request
 * scope, before any connection is checked out) and marks its config object;
 * the client lets marked objects through unjudged.
 */

interface PgClient {
  host?: unknown;
  port?: unknown;
  database?: unknown;
  connection?: unknown;
}
interface PgPool {
  options?: { host?: unknown; port?: unknown; database?: unknown; connectionString?: unknown };
}
/** Anything with `submit(connection)`: pg.Query, pg-cursor, pg-query-stream. */
interface Submittable {
  submit: (connection: unknown) => unknown;
  text?: unknown;
  cursor?: { text?: unknown };
  callback?: unknown;
  handleError?: (err: Error, connection: unknown) => void;
}

/** Config objects pg-pool passes on (the app's, or one made here): forgotten once seen, as the app may reuse its own. */
const judgedByPool = new WeakSet<object>();
/**
 * The usual mark, a values array made here: it carries this symbol instead of joining the WeakSet, whose
 * add and delete cost ~1.5 µs a query in the app. Nothing else holds the array, so it is never seen twice.
 */
const kJudged = Symbol('palisade.judgedByPool');
type MarkedValues = unknown[] & { [kJudged]?: true };

function isSubmittable(q: unknown): q is Submittable {
  return q !== null && typeof q === 'object' && typeof (q as { submit?: unknown }).submit === 'function';
}

function textOf(q: unknown): string | undefined {
  if (typeof q === 'string') return q;
  if (q === null || typeof q !== 'object') return undefined;
  const t = (q as { text?: unknown }).text;
  if (typeof t === 'string') return t;
  // pg-query-stream keeps its text on the cursor it wraps.
  const c = (q as Submittable).cursor;
  return c !== undefined && typeof c.text === 'string' ? c.text : undefined;
}

function poolDb(o: PgPool['options']): string | undefined {
  if (o === undefined) return undefined;
  if (typeof o.connectionString === 'string') {
    try {
      const u = new URL(o.connectionString);
      return dbIdentity(u.hostname, u.port, u.pathname.replace(/^\//, ''));
    } catch {
      return undefined;
    }
  }
  return dbIdentity(o.host ?? process.env.PGHOST ?? 'localhost', o.port ?? process.env.PGPORT ?? 5432, o.database ?? process.env.PGDATABASE);
}

function buildClient(client: PgClient, args: unknown[]): SqlOperation | undefined {
  const text = textOf(args[0]);
  if (text === undefined) return undefined;
  return sqlOp('Client.query', text, dbIdentity(client.host, client.port, client.database));
}

function buildPool(pool: PgPool, args: unknown[]): SqlOperation | undefined {
  const text = textOf(args[0]);
  if (text === undefined) return undefined;
  return sqlOp('Pool.query', text, poolDb(pool.options));
}

function sqlOp(fn: string, text: string, db: string | undefined): SqlOperation {
  return sqlOperation('pg', 'postgres', fn, text, db);
}

/**
 * A blocked Submittable is failed the way pg fails a query on a client that
 * cannot run it: `handleError` on a later tick, which calls its callback or
 * emits 'error' (pg-cursor also answers its pending reads). An emitter with
 * neither gets a no-op listener so the block cannot crash the app.
 */
function failSubmittable(q: Submittable, err: PalisadeBlockedError, connection: unknown): void {
  process.nextTick(() => {
    const em = q as unknown as Partial<EventEmitter>;
    if (typeof q.callback !== 'function' && typeof em.listenerCount === 'function' && em.listenerCount('error') === 0) {
      em.on?.('error', noop);
    }
    if (typeof q.handleError === 'function') q.handleError(err, connection);
    else if (typeof q.callback === 'function') (q.callback as Callback)(err);
  });
}

function blockClientQuery(client: PgClient, args: unknown[], err: PalisadeBlockedError): unknown {
  const [config, values, callback] = args;
  if (isSubmittable(config)) {
    // pg assigns the callback argument to the query before submitting; so do we.
    if (typeof config.callback !== 'function') {
      if (typeof values === 'function') config.callback = values;
      else if (typeof callback === 'function') config.callback = callback;
    }
    failSubmittable(config, err, client.connection);
    return config;
  }
  const cb =
    typeof callback === 'function'
      ? callback
      : typeof values === 'function'
        ? values
        : (config as { callback?: unknown } | undefined)?.callback;
  if (typeof cb === 'function') {
    callbackLater(cb as Callback, err);
    return undefined;
  }
  return rejected(err);
}

function blockPoolQuery(args: unknown[], err: PalisadeBlockedError): unknown {
  const cb = typeof args[1] === 'function' ? args[1] : typeof args[2] === 'function' ? args[2] : undefined;
  if (cb !== undefined) {
    callbackLater(cb as Callback, err);
    return undefined;
  }
  return rejected(err);
}

/**
 * Mark a pool query so that the client query pg-pool makes for it is not
 * judged: the pool judged it already, and the client call may run in another
 * request's async context (the pool queues). The mark is an object pg-pool passes through by identity: a fresh
 * copy of the values array, or a fresh empty one for a text-only query
 * (pg runs both the same way), rather than wrapping the text in `{ text }`,
 * which makes pg clone the config with property descriptors (~5 µs a query).
 */
function markJudged(args: unknown[]): void {
  const first = args[0];
  if (first !== null && typeof first === 'object') {
    judgedByPool.add(first);
    return;
  }
  if (typeof first !== 'string') return;
  const v = args[1];
  const mark: MarkedValues = Array.isArray(v) ? v.slice() : [];
  if (Array.isArray(v)) args[1] = mark;
  else if (args.length === 1) args.push(mark);
  else if (typeof v === 'function') args.splice(1, 0, mark);
  else if (v === undefined || v === null) args[1] = mark;
  else {
    const config = { text: first };
    judgedByPool.add(config);
    args[0] = config;
    return;
  }
  mark[kJudged] = true;
}

/**
 * The query's callbacks, its config's `callback` and a Submittable's events, run in the caller's context:
 * pg calls them from the connection's socket, whose context is the request that opened the connection.
 */
function bindQuery(args: unknown[]): void {
  bindCallbacks(args);
  const first = args[0];
  if (first !== null && typeof first === 'object') bindEvents(first, 'callback');
}

/** Set while pg-pool's query runs: the `connect` it makes for itself calls back into code bound already. */
let inPoolQuery = false;

type PgExports = { Client?: { prototype: object }; Pool?: { prototype: object } };

function targets(exports: unknown): { client?: object; pool?: object } {
  const pg = exports as PgExports;
  return { client: ownerOf(pg.Client?.prototype, 'query'), pool: ownerOf(pg.Pool?.prototype, 'query') };
}

/** A client query pg-pool makes for a pool query it judged (`markJudged`): the mark is forgotten as it is seen. */
function poolJudged(args: unknown[]): boolean {
  const first = args[0];
  if (first !== null && typeof first === 'object') return judgedByPool.delete(first);
  return typeof first === 'string' && Array.isArray(args[1]) && (args[1] as MarkedValues)[kJudged] === true;
}

/** Keys under which the depth from each wrapper to its caller is learned (`callerLookDepth`). */
const CLIENT_KEY = 'sql.query@pg.Client';
const POOL_KEY = 'sql.query@pg.Pool';

export const pgHook: HookDefinition = {
  module: 'pg',
  versions: '>=8.0.0 <9',
  patch(exports) {
    const { client, pool } = targets(exports);
    if (client !== undefined) {
      wrap(client, 'query', judgedQuery<PgClient>({
        key: CLIENT_KEY,
        build: buildClient,
        judgedBefore: poolJudged,
        blocked: blockClientQuery,
        run(orig, self, args) {
          bindQuery(args);
          return orig.apply(self, args);
        },
      }));
    }
    if (pool !== undefined) {
      wrap(pool, 'query', judgedQuery<PgPool>({
        key: POOL_KEY,
        build: buildPool,
        blocked: (_pool, args, err) => blockPoolQuery(args, err),
        run(orig, self, args) {
          bindQuery(args);
          // Marked even when nothing was judged (outside any scope): the client call may run later in
          // another request's async context (the pool queues), where it must not be judged against that request.
          markJudged(args);
          inPoolQuery = true;
          try {
            return orig.apply(self, args);
          } finally {
            inPoolQuery = false;
          }
        },
      }));
    }
    const connect = ownerOf((exports as PgExports).Pool?.prototype, 'connect');
    if (connect !== undefined) {
      // A checked-out client is handed over from whichever request released one when the pool is full.
      wrap(connect, 'connect', (orig) => function connect(this: PgPool, ...args: unknown[]) {
        if (!inPoolQuery) bindCallbacks(args);
        return orig.apply(this, args);
      });
    }
    return exports;
  },
  unpatch(exports) {
    const { client, pool } = targets(exports);
    if (client !== undefined) unwrap(client, 'query');
    if (pool !== undefined) unwrap(pool, 'query');
    const connect = ownerOf((exports as PgExports).Pool?.prototype, 'connect');
    if (connect !== undefined) unwrap(connect, 'connect');
  },
};
