import t from 'tap';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { GUARD, ROOT } from '../helpers/app';

// Where AsyncLocalStorage.run copies its context frame (Node 24+), a request's listeners re-enter a context kept
// as an AsyncResource (lib/context.ts, reentry). An APM whose context manager tracks async resources from init
// to destroy must see each of those destroyed once its request is collectable, or it keeps one entry per request.

t.test('the resources a request keeps to re-enter its context reach destroy', async (t) => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--require', GUARD, '--require', 'palisade/register', path.join(ROOT, 'test', 'fixtures', 'context', 'apm-resources.js')],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, PALISADE_LOG: 'stderr', PALISADE_MODE: 'block', PALISADE_CONTEXT_MODULE: path.join(ROOT, 'dist', 'lib', 'context.js') },
      },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
  const r = JSON.parse(out.trim()) as { inits: number; live: number; runCopies: boolean };
  if (r.runCopies) {
    t.ok(r.inits >= 200, `one kept context per request at least (${r.inits} for 200 requests)`);
    // The last request's may still be referenced by the closing connection; none of the others.
    t.ok(r.live <= 2, `the kept contexts were destroyed once collected (${r.live} of ${r.inits} still live)`);
  } else {
    t.equal(r.inits, 0, `where run copies nothing (${process.version}), no context is kept: run is used`);
  }
});
