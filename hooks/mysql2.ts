import { EventEmitter } from 'node:events';
import { callbackLater } from '../lib/enforce';
import type { PalisadeBlockedError } from '../lib/errors';
import { unwrap, wrap, type HookDefinition } from '../lib/hooking';
import type { SqlOperation } from '../lib/types';
import { bindCallbacks, callBound, dbIdentity, judgedQuery, lastFunction, ownerOf, sqlOperation, textOf, type Callback } from './sql-common';

/**
 * mysql2 → sql.query: `query`, `execute` and `prepare` of connections
 * (every connection class inherits them from one base class) and `query`
 * and `execute` of pools. The promise API (`mysql2/promise`) wraps these
 * same objects with callbacks, so a block there is a rejected promise.
 * The class files are patched as they load so an app that only requires
 * `mysql2/promise` is covered too.
 *
 * A pool hands its work to a connection on a later tick, possibly from
 * another request's callback when it is exhausted, so the pool judges at
 * call time and marks the object it passes on (the Query command, or the
 * `{ sql }` object of execute); the connection lets marked objects through.
 * The judged text is the SQL before placeholders are filled in.
 */

interface Config {
  host?: unknown;
  port?: unknown;
  database?: unknown;
}
interface Mysql2Connection {
  config?: Config;
}
interface Mysql2Pool {
  config?: { connectionConfig?: Config };
}
/** A mysql2 Command: errors go to onResult when there is one, else 'error'; then 'end'. */
interface Command extends EventEmitter {
  onResult?: unknown;
}
type CreateQuery = (sql: unknown, values: unknown, cb: unknown, config: unknown) => Command;

const judgedByPool = new WeakSet<object>();
let createQuery: CreateQuery | undefined;

function connDb(conn: Mysql2Connection): string | undefined {
  const c = conn.config;
  return c === undefined ? undefined : dbIdentity(c.host, c.port, c.database);
}
function poolDb(pool: Mysql2Pool): string | undefined {
  const c = pool.config?.connectionConfig;
  return c === undefined ? undefined : dbIdentity(c.host, c.port, c.database);
}
function op(fn: string, args: unknown[], db: string | undefined): SqlOperation | undefined {
  const text = textOf(args[0], 'sql');
  return text === undefined ? undefined : sqlOperation('mysql2', 'mysql', fn, text, db);
}

const build = {
  query: (c: Mysql2Connection, a: unknown[]) => op('Connection.query', a, connDb(c)),
  execute: (c: Mysql2Connection, a: unknown[]) => op('Connection.execute', a, connDb(c)),
  prepare: (c: Mysql2Connection, a: unknown[]) => op('Connection.prepare', a, connDb(c)),
  poolQuery: (p: Mysql2Pool, a: unknown[]) => op('Pool.query', a, poolDb(p)),
  poolExecute: (p: Mysql2Pool, a: unknown[]) => op('Pool.execute', a, poolDb(p)),
};

/**
 * A command that never ran, failed the way mysql2 fails one: on a later
 * tick the callback gets the error, or else 'error' is emitted (only when
 * someone listens, so the block cannot crash the app); then 'end'.
 */
function blockedCommand(args: unknown[], err: PalisadeBlockedError, config: unknown): Command {
  let cmd: Command;
  if (createQuery !== undefined && args[0] !== null && args[0] !== undefined) {
    cmd = createQuery(args[0], args[1], args[2], config ?? {});
  } else {
    cmd = new EventEmitter();
    cmd.onResult = lastFunction(args);
  }
  process.nextTick(() => {
    if (typeof cmd.onResult === 'function') (cmd.onResult as Callback)(err);
    else if (cmd.listenerCount('error') > 0) cmd.emit('error', err);
    cmd.emit('end');
  });
  return cmd;
}

function blockedPrepare(args: unknown[], err: PalisadeBlockedError): Command {
  const cmd: Command = new EventEmitter();
  const cb = typeof args[1] === 'function' ? (args[1] as Callback) : undefined;
  if (cb !== undefined) callbackLater(cb, err);
  process.nextTick(() => {
    if (cb === undefined && cmd.listenerCount('error') > 0) cmd.emit('error', err);
    cmd.emit('end');
  });
  return cmd;
}

function isObject(x: unknown): x is object {
  return x !== null && typeof x === 'object';
}

/** A command or `{ sql }` object a pool judged (and marked) before handing it to a connection. */
function poolJudged(args: unknown[]): boolean {
  return isObject(args[0]) && judgedByPool.delete(args[0]);
}

function blockedConnectionCommand(conn: Mysql2Connection, args: unknown[], err: PalisadeBlockedError): Command {
  return blockedCommand(args, err, conn.config);
}

type Wrapper = (orig: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown;

const connectionWrappers: Record<string, Wrapper> = {
  query: judgedQuery<Mysql2Connection>({
    key: 'sql.query@mysql2.Connection.query',
    build: build.query,
    judgedBefore: poolJudged,
    blocked: blockedConnectionCommand,
    run: callBound,
  }),
  execute: judgedQuery<Mysql2Connection>({
    key: 'sql.query@mysql2.Connection.execute',
    build: build.execute,
    judgedBefore: poolJudged,
    blocked: blockedConnectionCommand,
    run: callBound,
  }),
  prepare: judgedQuery<Mysql2Connection>({
    key: 'sql.query@mysql2.Connection.prepare',
    build: build.prepare,
    blocked: (_conn, args, err) => blockedPrepare(args, err),
    run: callBound,
  }),
};

const poolWrappers: Record<string, Wrapper> = {
  query: judgedQuery<Mysql2Pool>({
    key: 'sql.query@mysql2.Pool.query',
    build: build.poolQuery,
    blocked: (pool, args, err) => blockedCommand(args, err, pool.config?.connectionConfig),
    run(orig, pool, args) {
      const q = callBound(orig, pool, args);
      if (isObject(q)) judgedByPool.add(q);
      return q;
    },
  }),
  // A pool hands a connection over from whichever request released one when it is full.
  getConnection: (orig) => function getConnection(this: Mysql2Pool, ...args: unknown[]) {
    bindCallbacks(args);
    return orig.apply(this, args);
  },
  execute: judgedQuery<Mysql2Pool>({
    key: 'sql.query@mysql2.Pool.execute',
    build: build.poolExecute,
    blocked(_pool, args, err) {
      // Pool#execute returns nothing; its only channel is the callback.
      const cb = lastFunction(args);
      if (cb !== undefined) callbackLater(cb, err);
      return undefined;
    },
    run(orig, pool, args) {
      // Connection#execute treats `{ sql }` exactly like `sql`; the object gives the pool's call an identity to mark.
      if (typeof args[0] === 'string') args[0] = { sql: args[0] };
      if (isObject(args[0])) judgedByPool.add(args[0]);
      bindCallbacks(args);
      return orig.apply(pool, args);
    },
  }),
};

function patchAll(proto: object | undefined, wrappers: typeof poolWrappers): void {
  for (const [name, wrapper] of Object.entries(wrappers)) {
    const owner = ownerOf(proto, name);
    if (owner !== undefined) wrap(owner, name, wrapper);
  }
}

function unpatchAll(proto: object | undefined, wrappers: typeof poolWrappers): void {
  for (const name of Object.keys(wrappers)) {
    const owner = ownerOf(proto, name);
    if (owner !== undefined) unwrap(owner, name);
  }
}

type Ctor = { prototype?: object; createQuery?: unknown };

/** The main module, or one of the class files, told apart by shape (the spine passes the package name, not the file). */
function patchExports(exports: unknown): void {
  let conn: Ctor | undefined;
  let pool: Ctor | undefined;
  if (typeof exports === 'function') {
    const C = exports as unknown as Ctor;
    if (typeof C.createQuery === 'function') conn = C;
    else if (typeof (C.prototype as Record<string, unknown> | undefined)?.getConnection === 'function') pool = C;
  } else if (exports !== null && typeof exports === 'object') {
    // Only the callback classes: mysql2/promise exports promise wrappers under the same names, which call these.
    const ex = exports as Record<string, unknown>;
    const c = ex.Connection;
    if (typeof c === 'function' && typeof (c as unknown as Ctor).createQuery === 'function') conn = c as unknown as Ctor;
    const p = ex.Pool;
    if (typeof p === 'function' && typeof ((p as unknown as Ctor).prototype as Record<string, unknown> | undefined)?.getConnection === 'function') {
      pool = p as unknown as Ctor;
    }
  }
  if (conn !== undefined) {
    if (typeof conn.createQuery === 'function') createQuery ??= conn.createQuery as CreateQuery;
    patchAll(conn.prototype, connectionWrappers);
  }
  if (pool !== undefined) patchAll(pool.prototype, poolWrappers);
}

export const mysql2Hook: HookDefinition = {
  module: 'mysql2',
  versions: '>=3.0.0 <4',
  files: ['mysql2/lib/connection', 'mysql2/lib/pool'],
  patch(exports) {
    patchExports(exports);
    return exports;
  },
  unpatch(exports) {
    const ex = exports as { Connection?: Ctor; Pool?: Ctor };
    unpatchAll(ex.Connection?.prototype, connectionWrappers);
    unpatchAll(ex.Pool?.prototype, poolWrappers);
  },
};
