import t from 'tap';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { start, untrusted } from '../../lib/index';
import { fsBuildCount, fsHook } from '../../hooks/fs';
import { isPalisadeWrapper } from '../../lib/hooking';
import { tmpDir } from '../helpers/app';

// Outside a scope, with no policy, a patched fs call builds nothing (check()
// returns before the operation exists); inside one it builds one operation
// per path argument. The hook unpatches cleanly.

start({ mode: 'block', log: path.join(tmpDir(), 'events.log') });

const dir = tmpDir('palisade-fs-fast-');
fs.writeFileSync(path.join(dir, 'a.txt'), 'a');
const a = `${dir}/sub/../a.txt`;
fs.mkdirSync(path.join(dir, 'sub'));

async function calls(): Promise<void> {
  fs.readFileSync(a);
  fs.existsSync(a);
  fs.statSync(a);
  fs.openSync(a, 'r');
  fs.copyFileSync(a, path.join(dir, 'b.txt'));
  fs.writeFileSync(path.join(dir, 'c.txt'), 'c');
  await new Promise((r) => fs.readFile(a, r));
  await fs.promises.readFile(a);
  await new Promise((r) => fs.createReadStream(a).on('close', r).resume());
}
const PATHS = 10; // one per path argument above (copyFileSync has two)

t.test('outside a scope: nothing built', async (t) => {
  const before = fsBuildCount();
  for (let i = 0; i < 50; i++) await calls();
  t.equal(fsBuildCount() - before, 0);
});

t.test('inside a scope: one operation per path argument', async (t) => {
  const before = fsBuildCount();
  await untrusted('query', { q: 'x' }, calls);
  t.equal(fsBuildCount() - before, PATHS);
});

t.test('unpatch restores the originals, patch wraps again', async (t) => {
  const M = Module as unknown as { prototype: { load: unknown } };
  t.equal(isPalisadeWrapper(fs.readFileSync), true);
  t.equal(isPalisadeWrapper(M.prototype.load), true);
  // The module object itself (a TypeScript namespace import is a copy with getters).
  const real = require('node:fs') as typeof fs;
  fsHook.unpatch!(real);
  t.notOk(isPalisadeWrapper(fs.readFileSync), 'fs.readFileSync');
  t.notOk(isPalisadeWrapper(fs.promises.readFile), 'fs.promises.readFile');
  t.notOk(isPalisadeWrapper(M.prototype.load), 'Module.prototype.load');
  const before = fsBuildCount();
  await untrusted('query', { q: 'x' }, () => fs.readFileSync(a));
  t.equal(fsBuildCount(), before, 'unpatched: nothing judged');
  fsHook.patch(real, 'fs');
  t.equal(isPalisadeWrapper(fs.readFileSync), true);
  t.equal(typeof fs.realpathSync.native, 'function');
  t.equal(isPalisadeWrapper(fs.realpathSync.native), true, 'realpathSync.native wrapped');
  await untrusted('query', { q: 'x' }, () => fs.readFileSync(a));
  t.equal(fsBuildCount(), before + 1, 'judged again');
});
