import { EventEmitter } from 'node:events';
import { callbackLater, emitErrorLater } from '../lib/enforce';
import type { PalisadeBlockedError } from '../lib/errors';
import { unwrap, wrap, type HookDefinition } from '../lib/hooking';
import type { SqlOperation } from '../lib/types';
import { bindCallbacks, judgedQuery, lastFunction, sqlOperation, type Callback } from './sql-common';

/**
 * sqlite3 → sql.query: `Database#run/get/all/each/map/exec/prepare`, where
 * SQL text reaches the engine (each of them prepares a native Statement).
 * A block fails the call the way sqlite3 fails SQL it cannot prepare: the
 * last callback gets the error on a later tick; without a callback the
 * Database emits 'error' (only when someone listens: sqlite3 itself would
 * crash the app here, Palisade does not). Chaining methods keep returning
 * the Database.
 */

interface Db extends EventEmitter {
  filename?: unknown;
}

const METHODS = ['run', 'get', 'all', 'each', 'map', 'exec', 'prepare'] as const;
type Method = (typeof METHODS)[number];

function op(db: Db, fn: Method, args: unknown[]): SqlOperation | undefined {
  const sql = args[0];
  if (typeof sql !== 'string') return undefined;
  return sqlOperation('sqlite3', 'sqlite', `Database.${fn}`, sql, typeof db.filename === 'string' ? db.filename : undefined);
}

const build = Object.fromEntries(METHODS.map((m) => [m, (db: Db, args: unknown[]) => op(db, m, args)])) as Record<
  Method,
  (db: Db, args: unknown[]) => SqlOperation | undefined
>;

/**
 * What a blocked `prepare` returns. sqlite3 reports a failed prepare to the
 * prepare callback (or as 'error' on the Statement) and then silently drops
 * every later call on the statement. Dropping them would leave an app that
 * only passed callbacks to `all`/`run` waiting forever, so without a prepare
 * callback each later call's callback gets the error instead.
 */
class BlockedStatement extends EventEmitter {
  readonly #err: PalisadeBlockedError;
  readonly #reported: boolean;

  constructor(err: PalisadeBlockedError, prepareCallback: Callback | undefined) {
    super();
    this.#err = err;
    this.#reported = prepareCallback !== undefined;
    if (prepareCallback !== undefined) callbackLater(prepareCallback, err);
    else emitErrorLater(this, err);
  }

  #fail(args: unknown[]): this {
    const cb = lastFunction(args);
    if (cb !== undefined && !this.#reported) callbackLater(cb, this.#err);
    return this;
  }

  bind(...args: unknown[]): this {
    return this.#fail(args);
  }
  run(...args: unknown[]): this {
    return this.#fail(args);
  }
  get(...args: unknown[]): this {
    return this.#fail(args);
  }
  all(...args: unknown[]): this {
    return this.#fail(args);
  }
  each(...args: unknown[]): this {
    return this.#fail(args);
  }
  map(...args: unknown[]): this {
    return this.#fail(args);
  }
  reset(...args: unknown[]): this {
    return this.#fail(args);
  }
  /** Finalizing a statement that never existed succeeds. */
  finalize(...args: unknown[]): this {
    const cb = lastFunction(args);
    if (cb !== undefined) process.nextTick(() => cb(null));
    return this;
  }
}

function block(db: Db, fn: Method, args: unknown[], err: PalisadeBlockedError): unknown {
  const cb = lastFunction(args);
  if (fn === 'prepare') return new BlockedStatement(err, cb);
  if (cb !== undefined) callbackLater(cb, err);
  else emitErrorLater(db, err);
  return db;
}

type Sqlite3 = { Database?: { prototype: object }; Statement?: { prototype: object } };

/**
 * Statement methods take callbacks too, and are not judged (the SQL was, at prepare). On Node 24 sqlite3's
 * callbacks come back with no async context at all (Node 20 keeps the caller's), so a sink in them would go
 * unjudged: they are bound to the caller's context, as the Database methods' are.
 */
const STATEMENT_METHODS = ['bind', 'run', 'get', 'all', 'each', 'map', 'reset', 'finalize'] as const;

export const sqlite3Hook: HookDefinition = {
  module: 'sqlite3',
  versions: '>=5.0.0 <6',
  patch(exports) {
    const proto = (exports as Sqlite3).Database?.prototype;
    if (proto === undefined) return exports;
    for (const fn of METHODS) {
      const b = build[fn];
      wrap(proto, fn, judgedQuery<Db>({
        key: `sql.query@sqlite3.Database.${fn}`,
        build: b,
        blocked: (db, args, err) => block(db, fn, args, err),
        run(orig, db, args) {
          bindCallbacks(args);
          return orig.apply(db, args);
        },
      }));
    }
    const stmt = (exports as Sqlite3).Statement?.prototype;
    if (stmt !== undefined) {
      for (const fn of STATEMENT_METHODS) {
        wrap(stmt, fn, (orig) => function (this: unknown, ...args: unknown[]) {
          bindCallbacks(args);
          return orig.apply(this, args);
        });
      }
    }
    return exports;
  },
  unpatch(exports) {
    const proto = (exports as Sqlite3).Database?.prototype;
    if (proto !== undefined) for (const fn of METHODS) unwrap(proto, fn);
    const stmt = (exports as Sqlite3).Statement?.prototype;
    if (stmt !== undefined) for (const fn of STATEMENT_METHODS) unwrap(stmt, fn);
  },
};
