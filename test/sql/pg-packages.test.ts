import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { start, isPalisadeBlockedError } from '../../lib/index';
import { readEvents, tmpDir } from '../helpers/app';
import { needServer, PG } from '../helpers/db';

// pg under package scopes, against the real PostgreSQL. Client#query and Pool#query read their caller's call
// sites in the hook's own wrapper rather than in check() (hooks/pg.ts): the app's query is the app's, and the
// same query made from a package's file is the package's, which has no grant. Alternating callers checks that
// the depth learned under the wrapper's key never lets one caller's answer stand for the other's.
const dir = tmpDir();
const policy = path.join(dir, 'policy.yaml');
fs.writeFileSync(policy, ['version: 1', 'mode: block', 'allow:', '  sql.query:', '    - { id: app-selects, kinds: [select] }', ''].join('\n'));
const pkgDir = path.join(dir, 'node_modules', 'query-helper');
fs.mkdirSync(pkgDir, { recursive: true });
fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: 'query-helper', version: '1.0.0' }));
fs.writeFileSync(
  path.join(pkgDir, 'index.js'),
  [
    "exports.viaPool = (pool) => pool.query('SELECT 1 AS n');",
    "exports.viaClient = (client) => client.query('SELECT 1 AS n');",
    "exports.viaClientCallback = (client, cb) => client.query('SELECT 1 AS n', cb);",
    '',
  ].join('\n'),
);
const log = path.join(dir, 'events.log');
start({ mode: 'block', log, policy });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = require('pg') as typeof import('pg');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper = require(pkgDir) as {
  viaPool(pool: import('pg').Pool): Promise<unknown>;
  viaClient(client: import('pg').Client): Promise<unknown>;
  viaClientCallback(client: import('pg').Client, cb: (err: unknown) => void): void;
};

const outcome = (p: Promise<{ rows: Array<{ n: number }> }> | Promise<unknown>): Promise<string> =>
  (p as Promise<{ rows: Array<{ n: number }> }>).then(
    (r) => `rows ${r.rows[0]!.n}`,
    (err: unknown) => (isPalisadeBlockedError(err) ? 'blocked' : `error ${String(err)}`),
  );

t.test('pg: the caller is read in the wrapper, app and package alike', async (t) => {
  if (!(await needServer(t, 'pg'))) return;
  const pool = new pg.Pool({ ...PG, max: 2 });
  t.teardown(() => pool.end());
  const client = new pg.Client(PG);
  await client.connect();
  t.teardown(() => client.end());

  for (let i = 0; i < 20; i++) {
    t.equal(await outcome(pool.query('SELECT 1 AS n')), 'rows 1', `app Pool#query ${i}`);
    t.equal(await outcome(helper.viaPool(pool)), 'blocked', `package Pool#query ${i}`);
    t.equal(await outcome(client.query('SELECT 1 AS n')), 'rows 1', `app Client#query ${i}`);
    t.equal(await outcome(helper.viaClient(client)), 'blocked', `package Client#query ${i}`);
  }
  const err = await new Promise((resolve) => helper.viaClientCallback(client, resolve));
  t.ok(isPalisadeBlockedError(err), 'the callback form is blocked, in the callback');
  t.equal(await outcome(client.query('SELECT 1 AS n')), 'rows 1', 'the connection is still usable');

  const blocks = readEvents(log).filter((e) => e.kind === 'policy_violation' && e.operation === 'sql.query');
  t.ok(blocks.length > 0, 'the blocks are reported');
  t.ok(
    blocks.every((e) => e.package === 'query-helper' && e.scope === 'package:query-helper'),
    'every block names the package, none the app',
  );
});
