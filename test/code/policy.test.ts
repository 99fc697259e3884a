import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, GUARD, ROOT, readEvents, tmpDir } from '../helpers/app';

// A declared code.eval section is enforced outside any request, by the
// `via` names this hook reports (the names policy authors write).
t.test('policy allows code.eval by via; everything else is a policy violation', async (t) => {
  const dir = tmpDir();
  const policy = path.join(dir, 'palisade.yaml');
  fs.writeFileSync(policy, 'version: 1\nmode: block\nallow:\n  code.eval:\n    - { via: Function }\n    - { via: "vm.runIn*Context" }\n');
  const log = path.join(dir, 'events.log');
  const r = spawnSync(process.execPath, ['--require', GUARD, '--require', 'palisade/register', path.join(FIXTURES, 'code', 'policy-via.js')], {
    cwd: ROOT,
    env: { ...process.env, PALISADE_POLICY: policy, PALISADE_LOG: log, PALISADE_MODE: 'block' },
    encoding: 'utf8',
  });
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), {
    Function: 'ran',
    AsyncFunction: 'policy_violation',
    GeneratorFunction: 'policy_violation',
    'vm.Script': 'policy_violation',
    'vm.createScript': 'policy_violation',
    'vm.runInContext': 'ran',
    'vm.runInNewContext': 'ran',
    'vm.runInThisContext': 'ran',
    'vm.compileFunction': 'policy_violation',
  });
  const vias = new Set(readEvents(log).filter((e) => e.kind === 'policy_violation').map((e) => e.resource.via));
  t.same([...vias].sort(), ['AsyncFunction', 'GeneratorFunction', 'vm.Script', 'vm.compileFunction', 'vm.createScript']);
});
