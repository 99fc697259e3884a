import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GUARD, ROOT, tmpDir } from '../helpers/app';

/*
 * Palisade as users run it: installed under the app's node_modules, not
 * from this repository. Its own frames then sit under a node_modules
 * directory, and package attribution must still pass over them: a policy
 * whose packages do not inherit the app's allows must not judge an app's
 * own read as made by "the palisade package".
 */
function installedApp(): string {
  const dir = tmpDir();
  const pkg = path.join(dir, 'node_modules', 'palisade');
  fs.mkdirSync(pkg, { recursive: true });
  // Real copies of what `npm install palisade` puts there (stack traces name files by their real
  // path, so a symlink to this repository would not reproduce the layout); its dependencies are
  // this repository's.
  for (const part of ['dist/lib', 'dist/hooks', 'policies']) fs.cpSync(path.join(ROOT, part), path.join(pkg, part), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
  fs.writeFileSync(path.join(dir, 'data.txt'), 'app data');
  fs.mkdirSync(path.join(dir, '.ssh'));
  fs.writeFileSync(path.join(dir, '.ssh', 'id_rsa'), 'key');
  fs.writeFileSync(
    path.join(dir, 'policy.yaml'),
    'version: 1\nmode: block\nallow:\n  fs.read: ["${APP_ROOT}/**"]\ndeny:\n  fs.read: ["**/.ssh/**"]\n',
  );
  fs.writeFileSync(
    path.join(dir, 'app.js'),
    `const fs = require('fs');
const read = (f) => { try { return fs.readFileSync(f, 'utf8'); } catch (e) { return e.code; } };
const results = { from: require.resolve('palisade/register'), data: read(__dirname + '/data.txt'), key: read(__dirname + '/.ssh/id_rsa'), passwd: read('/etc/passwd') };
fs.promises.readFile(__dirname + '/data.txt', 'utf8').then(
  (v) => { results.dataAsync = v; },
  (e) => { results.dataAsync = e.code; },
).then(() => console.log('RESULTS ' + JSON.stringify(results)));
`,
  );
  return dir;
}

t.test('installed under node_modules: the app owns its own reads, Palisade is never the caller', async (t) => {
  const dir = installedApp();
  const log = path.join(dir, 'events.log');
  const r = spawnSync(process.execPath, ['--require', GUARD, '--require', 'palisade/register', 'app.js'], {
    cwd: dir,
    env: { ...process.env, PALISADE_MODE: '', PALISADE_POLICY: 'policy.yaml', PALISADE_LOG: log },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULTS '));
  if (line === undefined) throw new Error(`no results:\n${r.stdout}\n${r.stderr}`);
  const results = JSON.parse(line.slice(8)) as Record<string, string>;
  const events = fs.existsSync(log)
    ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>).filter((e) => e.schema === 'palisade.event/1')
    : [];
  t.ok(results.from!.startsWith(path.join(fs.realpathSync(dir), 'node_modules', 'palisade') + path.sep), `palisade/register is the installed copy (${results.from})`);
  t.equal(results.data, 'app data', 'the app reads its own file (sync)');
  t.equal(results.dataAsync, 'app data', 'and with fs.promises');
  t.equal(results.key, 'ERR_PALISADE_BLOCKED', 'the deny rule still applies');
  t.equal(results.passwd, 'ERR_PALISADE_BLOCKED', 'outside the allow list');
  t.notOk(events.some((e) => e.package === 'palisade'), 'no event names palisade as the calling package');
  const key = events.find((e) => e.resource?.path?.endsWith('id_rsa'));
  t.match(key, { action: 'block', kind: 'policy_violation', rule: 'deny.fs.read' });
  t.notOk(key?.package, 'the read is the app\'s');
});
