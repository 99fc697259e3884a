import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { FIXTURES, GUARD, ROOT, readEvents, tmpDir } from '../helpers/app';

// A frozen prototype cannot take the guard: the app keeps working, the other
// routes stay guarded, and the unguarded route is reported once at startup.
t.test('a frozen function prototype: fail open for that route, say so, guard the rest', async (t) => {
  const log = path.join(tmpDir(), 'events.log');
  const r = spawnSync(process.execPath, [
    '--require', GUARD,
    '--require', path.join(FIXTURES, 'code', 'freeze-async-proto.js'),
    '--require', 'palisade/register',
    path.join(FIXTURES, 'code', 'frozen-check.js'),
  ], { cwd: ROOT, env: { ...process.env, PALISADE_MODE: 'block', PALISADE_LOG: log }, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { works: 42, asyncName: 'AsyncFunction', Function: 'ERR_PALISADE_BLOCKED', AsyncFunction: 'compiled' });
  const internal = readEvents(log).filter((e) => e.kind === 'internal_error' && /code\.eval/.test(e.reason));
  // Once per agent; under tap an --import loader's hooks thread runs the preloads (and this report) a second time.
  t.ok(internal.length >= 1 && internal.length <= 2, `reported once per agent (${internal.length})`);
  for (const e of internal) t.match(e.reason, /cannot guard AsyncFunction\.prototype\.constructor/);
});
