import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { start, untrusted, isPalisadeBlockedError } from '../../lib/index';
import { __setFaultInjector } from '../../lib/agent';
import type { Operation } from '../../lib/types';
import { readEvents, tmpDir } from '../helpers/app';
import { sqliteFile, uniqueTable } from '../helpers/db';

// A detector whose kind the policy switches off (`injection.sql: off`) is not
// run at all: its sink calls are not even built into operations, in a scope
// or out of one, while the kinds left on are judged as before.
const dir = tmpDir();
const log = path.join(dir, 'events.log');
const policy = path.join(dir, 'palisade.yaml');
fs.writeFileSync(policy, 'version: 1\nmode: block\ninjection: { sql: "off", path: block, command: block, ssrf: block, code: block }\n');
start({ log, policy });
const judged: string[] = [];
__setFaultInjector((op: Operation) => {
  judged.push(op.name);
});
t.teardown(() => __setFaultInjector(undefined));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as typeof import('better-sqlite3');

t.test('sql off: an injected query runs unjudged; a traversal in the same scope is still blocked', async (t) => {
  const table = uniqueTable('pal_off');
  const db = new Database(sqliteFile(dir, table));
  t.teardown(() => db.close());
  const all = (db.prepare(`SELECT id FROM ${table}`).all() as unknown[]).length;
  const name = "x' OR '1'='1";
  const file = path.join(dir, 'reports', '..', '..', '..', 'etc', 'passwd');
  const rows = untrusted('query', { name, file: '../../../etc/passwd' }, () =>
    db.prepare(`SELECT id, name FROM ${table} WHERE name = '${name}'`).all(),
  );
  t.ok(all > 1 && (rows as unknown[]).length === all, 'the tautology ran and read every row: the SQL detector is off');
  let err: unknown;
  untrusted('query', { file: '../../../etc/passwd' }, () => {
    try {
      fs.readFileSync(file);
    } catch (e) {
      err = e;
    }
  });
  t.ok(isPalisadeBlockedError(err), 'the path detector, still on, blocks the traversal');
  t.notOk(judged.includes('sql.query'), 'no SQL operation was built or judged');
  t.ok(judged.includes('fs.read'), 'the file read was judged');
  t.same(readEvents(log).filter((e) => e.kind === 'sql_injection'), [], 'no SQL event');
});
