import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { GUARD, ROOT, tmpDir } from '../helpers/app';
import { MYSQL, PG, needServer } from '../helpers/db';

// A driver calls back from its connection's socket, and the socket keeps the async context it was opened in:
// the request that happened to open a pooled connection. Palisade runs the query's callbacks and events in
// the caller's context (hooks/sql-common.ts, bindCallbacks and bindEvents), so that a sink reached from them
// is judged against the request that made the query. Without it, the second request's path climb below was
// judged against the first request's inputs, and read.

interface Result {
  url: string;
  scope: string | null;
  outcome: string;
}

t.test('driver callbacks and query events run in the request that made the query', async (t) => {
  const withPg = await needServer(t, 'pg');
  const withMysql = await needServer(t, 'mysql');
  const files = tmpDir();
  fs.writeFileSync(path.join(files, 'ok.txt'), 'ok');
  const out = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--require', GUARD, '--require', 'palisade/register', path.join(ROOT, 'test', 'fixtures', 'sql', 'callback-context.js')],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          PALISADE_LOG: 'stderr',
          PALISADE_MODE: 'block',
          PALISADE_POLICY: path.join(ROOT, 'policies', 'default.yaml'),
          PALISADE_CONTEXT_MODULE: path.join(ROOT, 'dist', 'lib', 'context.js'),
          FILES_DIR: files,
          WITH_PG: withPg ? '1' : '0',
          WITH_MYSQL: withMysql ? '1' : '0',
          PG_HOST: PG.host, PG_PORT: String(PG.port), PG_USER: PG.user, PG_PASSWORD: PG.password, PG_DATABASE: PG.database,
          MYSQL_HOST: MYSQL.host, MYSQL_PORT: String(MYSQL.port), MYSQL_USER: MYSQL.user, MYSQL_PASSWORD: MYSQL.password, MYSQL_DATABASE: MYSQL.database,
        },
      },
      (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
  t.equal(out.status, 0, out.stderr);
  const results = JSON.parse(out.stdout.trim().split('\n').pop()!) as Record<string, [Result, Result]>;
  t.equal(Object.keys(results).length, 2 + (withPg ? 4 : 0) + (withMysql ? 4 : 0), 'every case ran');
  for (const [name, [first, second]] of Object.entries(results)) {
    t.equal(first.scope, first.url, `${name}: the first request's callback ran in its own scope`);
    t.equal(first.outcome, 'read', `${name}: the first request read its file`);
    t.equal(second.scope, second.url, `${name}: the second request's callback ran in its own scope, not the first's`);
    t.equal(second.outcome, 'ERR_PALISADE_BLOCKED', `${name}: the second request's path climb was blocked`);
  }
  // Events name the request whose input climbed (repeats of one finding are reported once: lib/report/ratelimit.ts).
  const events = out.stderr.split('\n').filter((l) => l.includes('"path_traversal"')).map((l) => JSON.parse(l) as { input: { source: string }; request: { path: string } });
  t.ok(events.length >= 1, 'the blocks were reported');
  for (const e of events) {
    t.equal(e.input.source, 'query.file', 'the event names the climbing input');
    t.ok(Object.values(results).some(([, second]) => second.url.startsWith(`${e.request.path}?`)), `the event names a second request (${e.request.path})`);
  }
});
