import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, GUARD, ROOT, readEvents, tmpDir } from '../helpers/app';

// With a policy that restricts fs.read, every read in the process is judged,
// requests or not. Module loading must still never be judged, and one app
// call is one judgment (realpath's walk over the ancestors is not N reads).
// Needs the built code: `npx tsc -p tsconfig.json`.

t.test('fs.read allow list: module loading untouched, app reads judged', async (t) => {
  const dir = tmpDir('palisade-fs-policy-');
  fs.mkdirSync(path.join(dir, 'public'));
  fs.mkdirSync(path.join(dir, 'lib'));
  fs.writeFileSync(path.join(dir, 'public', 'report.txt'), 'report');
  fs.writeFileSync(path.join(dir, 'public', '.env'), 'TOKEN=x');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  fs.writeFileSync(path.join(dir, 'lib', 'data.json'), '{"ok": true}');
  fs.writeFileSync(path.join(dir, 'lib', 'm.mjs'), 'export default "esm";');
  fs.writeFileSync(path.join(dir, 'lib', 'sm.js'), 'module.exports = "mapped";\n//# sourceMappingURL=sm.js.map\n');
  fs.writeFileSync(path.join(dir, 'lib', 'sm.js.map'), '{"version":3,"sources":["sm.ts"],"names":[],"mappings":"AAAA"}');
  const policy = path.join(dir, 'palisade.yaml');
  fs.writeFileSync(policy, [
    'version: 1',
    'mode: block',
    'allow:',
    `  fs.read: ["${path.join(dir, 'public')}/**"]`,
    'deny:',
    '  fs.read: [{ id: dotenv, path: "**/.env" }]',
    '',
  ].join('\n'));
  const log = path.join(dir, 'events.log');
  // PALISADE_ESM=0: Palisade's own ESM detection walks package.json files at start-up (reported to the lead).
  const r = spawnSync(process.execPath, ['--require', GUARD, '--enable-source-maps', '--require', 'palisade/register', path.join(FIXTURES, 'fs', 'policy-app.js')], {
    cwd: ROOT,
    env: { ...process.env, PALISADE_POLICY: policy, PALISADE_LOG: log, PALISADE_MODE: '', APP_DIR: dir, NODE_OPTIONS: '', PALISADE_ESM: '0' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const line = /RESULT (.*)/.exec(r.stdout);
  t.ok(line, `fixture printed a result (stderr: ${r.stderr})`);
  t.same(JSON.parse(line![1]!), {
    express: 'function',
    json: true,
    sourceMapped: 'mapped',
    allowed: 'ran',
    outside: 'ERR_PALISADE_BLOCKED',
    env: 'ERR_PALISADE_BLOCKED',
    existsOutside: false,
    writeUnrestricted: 'ran',
    realpathCallback: fs.realpathSync(path.join(dir, 'public', 'report.txt')),
    realpathOutside: 'ERR_PALISADE_BLOCKED',
    streamAllowed: 'ran',
    promiseOutside: 'ERR_PALISADE_BLOCKED',
    esm: 'esm',
  });
  // tap injects its process-info loader into child processes; its own reads of module sources are not the app's.
  const events = readEvents(log).filter((e) => !String(e.frame?.file ?? '').includes('/node_modules/@tapjs/'));
  t.ok(events.length > 0 && events.every((e) => e.kind === 'policy_violation' && e.operation === 'fs.read'), 'only policy events for reads');
  const files = new Set(events.map((e) => e.resource.path));
  t.same([...files].sort(), [path.join(dir, 'public', '.env'), path.join(dir, 'secret.txt')].sort(), 'events only for the two files the app read outside the policy');
  t.match(events.find((e) => e.resource.path.endsWith('.env')), { rule: 'dotenv' });
});
