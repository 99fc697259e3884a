import { EventEmitter } from 'node:events';
import { callbackLater } from '../lib/enforce';
import type { PalisadeBlockedError } from '../lib/errors';
import { unwrap, wrap, type HookDefinition } from '../lib/hooking';
import type { SqlOperation } from '../lib/types';
import { bindCallbacks, callBound, dbIdentity, judgedQuery, lastFunction, noop, sqlOperation, textOf } from './sql-common';

/**
 * mysql → sql.query. The package loads its classes lazily, so the hook
 * patches the class files as they load: `Connection.prototype.query`,
 * `Pool.prototype.query` and `PoolNamespace.prototype.query` (clusters).
 * Pools and clusters hand their Query object to a connection later, from a
 * connection callback that may run in another request's scope, so they
 * judge at call time and mark the Query; the connection lets marked
 * queries through. The judged text is the app's SQL before mysql fills in
 * `?` placeholders: values are escaped by the driver and never change the
 * query's structure.
 */

interface Config {
  host?: unknown;
  port?: unknown;
  database?: unknown;
}
interface MysqlConnection {
  config?: Config;
}
interface MysqlPool {
  config?: { connectionConfig?: Config };
}
interface MysqlNamespace {
  _cluster?: unknown;
}
/** mysql's Query (a Sequence): ends with end(err), which emits 'error', calls back, then emits 'end'. */
interface MysqlQuery extends EventEmitter {
  end(err?: Error): void;
}
type CreateQuery = (sql: unknown, values: unknown, cb: unknown) => MysqlQuery;

const judgedByPool = new WeakSet<object>();
let createQuery: CreateQuery | undefined;

function build(fn: string, db: string | undefined, args: unknown[]): SqlOperation | undefined {
  const text = textOf(args[0], 'sql');
  return text === undefined ? undefined : sqlOperation('mysql', 'mysql', fn, text, db);
}
function buildConnection(conn: MysqlConnection, args: unknown[]): SqlOperation | undefined {
  const c = conn.config;
  return build('Connection.query', c && dbIdentity(c.host, c.port, c.database), args);
}
function buildPool(pool: MysqlPool, args: unknown[]): SqlOperation | undefined {
  const c = pool.config?.connectionConfig;
  return build('Pool.query', c && dbIdentity(c.host, c.port, c.database), args);
}
function buildNamespace(_ns: MysqlNamespace, args: unknown[]): SqlOperation | undefined {
  return build('PoolNamespace.query', undefined, args);
}

/**
 * The Query the app would have got, failed the way mysql fails a query it
 * could not send (see its Pool.getConnection error path): on a later tick
 * `end(err)` calls the callback, emits 'error' to listeners, then 'end'.
 */
function blockedQuery(_self: unknown, args: unknown[], err: PalisadeBlockedError): unknown {
  if (createQuery === undefined) {
    const em = new EventEmitter();
    const cb = lastFunction(args);
    if (cb !== undefined) callbackLater(cb, err);
    process.nextTick(() => {
      if (em.listenerCount('error') > 0) em.emit('error', err);
      em.emit('end');
    });
    return em;
  }
  const q = createQuery(args[0], args[1], args[2]);
  process.nextTick(() => {
    if (q.listenerCount('error') === 0) q.on('error', noop);
    q.end(err);
  });
  return q;
}

type Ctor = { prototype: object; createQuery?: unknown };

/** A pool's or a cluster's `query`: judged at call time, its Query marked for the connection it is handed to. */
function patchPoolLike<S>(proto: object, key: string, builder: (self: S, args: unknown[]) => SqlOperation | undefined): void {
  wrap(proto, 'query', judgedQuery<S>({
    key,
    build: builder,
    blocked: blockedQuery,
    run(orig, self, args) {
      const q = callBound(orig, self, args);
      // The pool hands this same Query to a connection on a later tick.
      if (q !== null && typeof q === 'object') judgedByPool.add(q);
      return q;
    },
  }));
}

/** A pool hands a connection over from whichever request released one when it is full. */
function patchGetConnection(proto: object): void {
  wrap(proto, 'getConnection', (orig) => function getConnection(this: unknown, ...args: unknown[]) {
    bindCallbacks(args);
    return orig.apply(this, args);
  });
}

function has(proto: object | undefined, name: string): boolean {
  return proto !== undefined && typeof (proto as Record<string, unknown>)[name] === 'function';
}

/** Which class file loaded, told apart by shape (the spine passes the package name, not the file). */
function patchClass(exports: unknown): void {
  if (typeof exports !== 'function') return;
  const C = exports as unknown as Ctor;
  const proto = C.prototype;
  if (!has(proto, 'query')) return;
  if (typeof C.createQuery === 'function') {
    createQuery = C.createQuery as CreateQuery;
    wrap(proto, 'query', judgedQuery<MysqlConnection>({
      key: 'sql.query@mysql.Connection.query',
      build: buildConnection,
      judgedBefore: (args) => args[0] !== null && typeof args[0] === 'object' && judgedByPool.delete(args[0]),
      blocked: blockedQuery,
      run: callBound,
    }));
  } else if (has(proto, 'acquireConnection')) {
    patchPoolLike(proto, 'sql.query@mysql.Pool.query', buildPool);
    patchGetConnection(proto);
  } else if (has(proto, '_getClusterNode')) {
    patchPoolLike(proto, 'sql.query@mysql.PoolNamespace.query', buildNamespace);
    patchGetConnection(proto);
  }
}

export const mysqlHook: HookDefinition = {
  module: 'mysql',
  versions: '>=2.16.0 <3',
  files: ['mysql/lib/Connection', 'mysql/lib/Pool', 'mysql/lib/PoolNamespace'],
  patch(exports) {
    patchClass(exports);
    return exports;
  },
  unpatch(exports) {
    if (typeof exports !== 'function') return;
    unwrap((exports as unknown as Ctor).prototype, 'query');
    unwrap((exports as unknown as Ctor).prototype, 'getConnection');
  },
};
