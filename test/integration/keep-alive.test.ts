import t from 'tap';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { GUARD, ROOT } from '../helpers/app';

// Node arms a connection's keep-alive timer from inside the request that just finished, so the
// timer would carry that request's scope (the request, the response, its inputs) for as long as
// the connection idles. Palisade arms it outside the scope (hooks/http-server.ts). The memory it
// saves is measured in bench/ (BENCH_ONLY=connections); here, that the objects are collectable
// while the connection stays open, that keep-alive still ends the connection, and that a timeout
// set on a response still open keeps its request's scope.

interface Outcome {
  status: number;
  stderr: string;
  stdout: string;
}

function runFixture(mode: string): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--require', GUARD, '--require', 'palisade/register', path.join(ROOT, 'test', 'fixtures', 'keepalive', 'idle.js')],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, PALISADE_LOG: 'stderr', PALISADE_MODE: mode, PALISADE_CONTEXT_MODULE: path.join(ROOT, 'dist', 'lib', 'context.js') },
      },
      (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

t.test('a finished request on an idle keep-alive connection is collectable', async (t) => {
  // Each run waits out timers of a second or two; both modes at once.
  const modes = ['monitor', 'block'];
  const runs = await Promise.all(modes.map(runFixture));
  modes.forEach((mode, i) => {
    const r = runs[i];
    t.equal(r.status, 0, `${mode}: exit status\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim()) as { bodies: string[]; idleOpen: boolean; requests: number; alive: number; slowScoped: string | null; closedAfter: number };
    t.same(out.bodies, ['ok', 'late', 'ok'], `${mode}: all three requests answered`);
    t.equal(out.requests, 3, `${mode}: the server saw three requests`);
    t.equal(out.idleOpen, true, `${mode}: the connection was still open and idle when collected`);
    t.equal(out.alive, 0, `${mode}: no request or response object survived the collections`);
    t.equal(out.slowScoped, '/slow', `${mode}: a response's own timeout ran in its request's scope`);
    // keepAliveTimeout is 1 500 ms, armed just before the client read its answer; Node 20 adds a second's grace.
    t.ok(out.closedAfter >= 1_000 && out.closedAfter < 8_000, `${mode}: the keep-alive timeout closed the idle connection (${out.closedAfter} ms after the last answer)`);
  });
});
