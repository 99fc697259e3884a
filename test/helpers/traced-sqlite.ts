import type * as http from 'node:http';
import { isPalisadeBlockedError } from '../../lib/index';
import { sqliteFile, uniqueTable } from './db';

/**
 * A real SQLite file whose statement trace proves what ran, and an app's answer from it: the count of rows whose
 * name is the client's (the helper's table: alice, bob and o'brien), 403 when Palisade blocked the query.
 * Require it after `start()`: better-sqlite3 is hooked when it is first required.
 */
export interface TracedTable {
  readonly table: string;
  /** The statements that ran, as SQLite expanded them. */
  readonly trace: string[];
  /** `SELECT count(*) … WHERE name = '<name>'`, built by concatenation as the unsafe app does. */
  count(name: string): number;
  /** Answer with `fn()`'s count; 403 'blocked' when Palisade blocked it, 500 on any other error. */
  answer(res: http.ServerResponse, fn: () => number): void;
  /** The reply and the trace agree with the case: blocked and `attack` never ran, or answered with its count. */
  verdict(t: Checks, reply: { status: number; body: string }, c: { name: string; blocked: boolean; count?: string }, attack: string): void;
  close(): void;
}

interface Checks {
  equal(found: unknown, wanted: unknown, message: string): unknown;
  notOk(value: unknown, message: string): unknown;
}

export function tracedTable(dir: string, prefix: string): TracedTable {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const table = uniqueTable(prefix);
  const trace: string[] = [];
  const db = new Database(sqliteFile(dir, table), { verbose: (s: unknown) => trace.push(String(s)) });
  const count = (name: string): number =>
    (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE name = '${name}'`).get() as { n: number }).n;
  return {
    table,
    trace,
    count,
    answer(res, fn) {
      try {
        res.end(String(fn()));
      } catch (err) {
        res.statusCode = isPalisadeBlockedError(err) ? 403 : 500;
        res.end(isPalisadeBlockedError(err) ? 'blocked' : String(err));
      }
    },
    verdict(t, reply, c, attack) {
      if (c.blocked) {
        t.equal(reply.status, 403, `${c.name}: blocked`);
        t.notOk(trace.some((s) => s.includes(attack)), `${c.name}: the query never ran`);
      } else {
        t.equal(reply.status, 200, `${c.name}: answered`);
        t.equal(reply.body, c.count, `${c.name}: the query ran`);
      }
    },
    close: () => db.close(),
  };
}

/** Listen on 127.0.0.1 at free ports; the servers close when `t` ends. */
export async function listenAll(t: { teardown(fn: () => void): void }, ...servers: http.Server[]): Promise<void> {
  for (const s of servers) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of servers) s.close();
  });
}
