import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, GUARD, ROOT, readEvents, tmpDir } from '../helpers/app';

// ESM apps, run the way an operator runs them (no test loaders in the
// process): `import { readFileSync } from 'fs'` sees the wrapper because the
// builtin is patched in place and syncBuiltinESMExports() runs after, and
// the ESM loader's own reads (realpathSync with Node's cache option,
// fs.promises.readFile / readFileSync of a file: URL) are never judged.
// Needs the built code: `npx tsc -p tsconfig.json`.

function appDir(): string {
  const dir = tmpDir('palisade-fs-esm-');
  fs.mkdirSync(path.join(dir, 'public'));
  fs.mkdirSync(path.join(dir, 'mods'));
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  fs.writeFileSync(path.join(dir, 'mods', 'esm.mjs'), "import v from './dep.mjs'; import c from './c.cjs'; export default v + c;");
  fs.writeFileSync(path.join(dir, 'mods', 'dep.mjs'), 'export default 40;');
  fs.writeFileSync(path.join(dir, 'mods', 'c.cjs'), "module.exports = require('./two.json').two;");
  fs.writeFileSync(path.join(dir, 'mods', 'two.json'), '{"two": 2}');
  return dir;
}

// PALISADE_ESM=0: no import-in-the-middle loader thread, so Node's ESM loader reads every module on the main thread.
// 'before'/'after': an in-thread customization hook that reads each module by its path, registered before or after Palisade.
// Both are --import so that they load after any hook the test runner puts in NODE_OPTIONS: nothing of the runner's
// then brackets the reading hook, and the test sees Palisade's own handling alone.
type Variant = [preload: string, esm: string, readingHook?: 'before' | 'after'];
const variants: Variant[] = [['--require', ''], ['--import', ''], ['--require', '0'], ['--import', '', 'before'], ['--import', '', 'after']];
const hasRegisterHooks = typeof (Module as { registerHooks?: unknown }).registerHooks === 'function';
const nodeMajor = Number(process.versions.node.split('.')[0]);
for (const [preload, esm, readingHook] of variants) {
  const name = `ESM app under node ${preload} palisade/register${esm === '0' ? ' (PALISADE_ESM=0)' : ''}${readingHook !== undefined ? `, a module.registerHooks hook that reads modules registered ${readingHook} it` : ''}`;
  const skip =
    readingHook !== undefined && !hasRegisterHooks ? `module.registerHooks needs Node 22.15+ or 23.5+ (this is ${process.version})` :
    readingHook === 'before' && nodeMajor < 24 ? `Palisade brackets hooks registered before it on Node 24+ only (hooks/fs-loader.ts; this is ${process.version})` :
    false;
  t.test(name, { skip }, async (t) => {
    const dir = appDir();
    const log = path.join(dir, 'events.log');
    const hook = path.join(FIXTURES, 'fs', 'reading-hook.cjs');
    const args = ['--require', GUARD];
    if (readingHook === 'before') args.push('--import', pathToFileURL(hook).href);
    args.push(preload, 'palisade/register');
    if (readingHook === 'after') args.push('--import', pathToFileURL(hook).href);
    args.push(path.join(FIXTURES, 'fs', 'esm-check.mjs'));
    const r = spawnSync(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, PALISADE_MODE: 'block', PALISADE_LOG: log, APP_DIR: dir, NODE_OPTIONS: '', PALISADE_ESM: esm },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const line = /RESULT (.*)/.exec(r.stdout);
    t.ok(line, `fixture printed a result (stderr: ${r.stderr})`);
    const out = JSON.parse(line![1]!) as Record<string, unknown>;
    t.same(out, {
      namedIsPatched: true,
      promisesNamedIsPatched: true,
      named: 'ERR_PALISADE_BLOCKED',
      defaultImport: 'ERR_PALISADE_BLOCKED',
      promisesNamed: 'ERR_PALISADE_BLOCKED',
      promisesNamespace: 'ERR_PALISADE_BLOCKED',
      stream: 'ERR_PALISADE_BLOCKED',
      urlRead: 'ERR_PALISADE_BLOCKED',
      importBuilds: 0,
      imported: 42,
      ...(readingHook !== undefined ? { hookReads: out.hookReads } : {}),
    });
    if (readingHook !== undefined) t.equal(out.hookReads, 4, 'the hook read each of the four module files (two.json through require)');
    const events = readEvents(log);
    t.equal(events.filter((e) => e.kind === 'path_traversal').length, 6, 'one block per blocked call, none for the import');
    t.notOk(events.some((e) => String(e.resource?.path ?? '').includes(`${path.sep}mods${path.sep}`) && e.fn !== 'readFile'), 'no event for a module file');
  });
}

t.test('a CommonJS app import()ing ES modules inside a scope', async (t) => {
  const dir = appDir();
  const log = path.join(dir, 'events.log');
  const r = spawnSync(process.execPath, ['--require', GUARD, '--require', 'palisade/register', path.join(FIXTURES, 'fs', 'import-from-cjs.js')], {
    cwd: ROOT,
    env: { ...process.env, PALISADE_MODE: 'block', PALISADE_LOG: log, APP_DIR: dir, NODE_OPTIONS: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const line = /RESULT (.*)/.exec(r.stdout);
  t.ok(line, `fixture printed a result (stderr: ${r.stderr})`);
  t.same(JSON.parse(line![1]!), { urlRead: 'ERR_PALISADE_BLOCKED', importBuilds: 0, imported: 42 }, 'the same URL: an app read is blocked, the import is not judged');
  t.equal(readEvents(log).length, 1, 'only the app read is logged');
});
