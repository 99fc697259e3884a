import type { PalisadeBlockedError } from '../lib/errors';
import { unwrap, wrap, type HookDefinition } from '../lib/hooking';
import type { SqlOperation } from '../lib/types';
import { judgedQuery, sqlOperation } from './sql-common';

/**
 * better-sqlite3 → sql.query. SQL text enters the engine at `prepare`
 * (every `run`/`get`/`all`/`iterate` goes through a prepared statement),
 * `exec`, and `pragma` (which prepares `PRAGMA …` without calling
 * `prepare`). The API is synchronous, so a block is thrown.
 */

interface Db {
  name?: unknown;
}

const FUNCTIONS = ['prepare', 'exec', 'pragma'] as const;

function op(db: Db, fn: string, text: unknown): SqlOperation | undefined {
  if (typeof text !== 'string') return undefined;
  return sqlOperation('better-sqlite3', 'sqlite', fn, text, typeof db.name === 'string' ? db.name : undefined);
}

const build = {
  prepare: (db: Db, sql: unknown) => op(db, 'Database.prepare', sql),
  exec: (db: Db, sql: unknown) => op(db, 'Database.exec', sql),
  pragma: (db: Db, source: unknown) => op(db, 'Database.pragma', typeof source === 'string' ? `PRAGMA ${source}` : undefined),
};

function throwBlock(_db: Db, _args: unknown[], err: PalisadeBlockedError): never {
  throw err;
}

export const betterSqlite3Hook: HookDefinition = {
  module: 'better-sqlite3',
  versions: '>=7.0.0 <14',
  patch(exports) {
    const proto = (exports as { prototype?: object }).prototype;
    if (proto === undefined) return exports;
    for (const fn of FUNCTIONS) {
      const b = build[fn];
      wrap(proto, fn, judgedQuery<Db>({
        key: `sql.query@better-sqlite3.Database.${fn}`,
        build: (db, args) => b(db, args[0]),
        blocked: throwBlock,
        run: (orig, db, args) => orig.apply(db, args),
      }));
    }
    return exports;
  },
  unpatch(exports) {
    const proto = (exports as { prototype?: object }).prototype;
    if (proto !== undefined) for (const fn of FUNCTIONS) unwrap(proto, fn);
  },
};
