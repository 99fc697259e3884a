import t from 'tap';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { start, untrusted } from '../../lib/index';
import { fsBuildCount } from '../../hooks/fs';
import { readEvents, tmpDir } from '../helpers/app';

// Node's own module loading (require, require.resolve, createRequire,
// import(), JSON, CommonJS imported from ESM) reads files through the public
// fs functions the hook patches. Inside a request scope, in block mode, with
// module paths built from request input that the detector would block for an
// ordinary read, loading must work, build no operation and log nothing.
// What a module's own code does at load time is still judged.

const log = path.join(tmpDir(), 'events.log');
start({ mode: 'block', log, eventsPerSecond: 1_000_000 });

function modules(): string {
  const dir = tmpDir('palisade-fs-mod-');
  fs.mkdirSync(path.join(dir, 'plugins'));
  fs.mkdirSync(path.join(dir, 'mods'));
  const w = (f: string, s: string): void => fs.writeFileSync(path.join(dir, 'mods', f), s);
  w('plugin.js', "module.exports = { name: 'plugin', data: require('./data.json'), dep: require('./dep.js') };");
  w('dep.js', 'module.exports = 7;');
  w('data.json', '{"answer": 42}');
  w('esm.mjs', "import { v } from './esm-dep.mjs'; import cjs from './from-esm.cjs'; export default { v, cjs };");
  w('esm-dep.mjs', 'export const v = 1;');
  w('from-esm.cjs', "module.exports = require('./data.json').answer;");
  w('reads.js', "module.exports = require('fs').readFileSync(globalThis.__palisadeTarget, 'utf8');");
  w('reads.mjs', "import { readFileSync } from 'node:fs'; export default readFileSync(globalThis.__palisadeTarget, 'utf8');");
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  return dir;
}

/** Run `fn` and say whether it built any fs operation or logged any event (measured around `fn` only). */
function quiet<T>(t: Tap.Test, label: string, fn: () => T): T {
  const e = readEvents(log).length;
  const b = fsBuildCount();
  const out = fn();
  const built = fsBuildCount() - b;
  t.equal(built, 0, `${label}: no fs operation built`);
  t.equal(readEvents(log).length, e, `${label}: no event`);
  return out;
}

t.test('require with a traversal-looking path: loads, unjudged', async (t) => {
  const dir = modules();
  const input = '../mods/plugin.js';
  untrusted('query', { name: input }, () => {
    const target = path.join(dir, 'plugins', input);
    // The same path through an ordinary read is blocked...
    t.throws(() => fs.readFileSync(target), { code: 'ERR_PALISADE_BLOCKED' }, 'an ordinary read of it is blocked');
    // ...but loading it as a module is Node's business.
    const m = quiet(t, 'require', () => require(target) as { name: string; data: { answer: number }; dep: number });
    t.same(m, { name: 'plugin', data: { answer: 42 }, dep: 7 });
    const resolved = quiet(t, 'require.resolve', () => require.resolve(path.join(dir, 'plugins', '../mods/dep.js')));
    t.equal(resolved, path.join(dir, 'mods', 'dep.js'));
    const req = createRequire(path.join(dir, 'plugins', 'x.js'));
    t.same(quiet(t, 'createRequire', () => req('../mods/data.json')), { answer: 42 });
  });
});

t.test('import() of ESM and of CommonJS from ESM: loads, unjudged', async (t) => {
  const dir = modules();
  const input = '../mods/esm.mjs';
  await untrusted('query', { name: input }, async () => {
    const url = pathToFileURL(path.join(dir, 'plugins', input)).href;
    await t.rejects(fs.promises.readFile(new URL(url)), { code: 'ERR_PALISADE_BLOCKED' }, 'an ordinary read of the URL is blocked');
    const e = readEvents(log).length;
    const b = fsBuildCount();
    const m = (await import(url)) as { default: { v: number; cjs: number } };
    const built = fsBuildCount() - b;
    t.same(m.default, { v: 1, cjs: 42 });
    t.equal(built, 0, 'import(): no fs operation built');
    t.equal(readEvents(log).length, e, 'import(): no event');
  });
});

t.test("a module's own code is judged at load time", async (t) => {
  const dir = modules();
  const input = '../secret.txt';
  (globalThis as { __palisadeTarget?: string }).__palisadeTarget = `${dir}/mods/${input}`;
  untrusted('query', { name: input }, () => {
    t.throws(() => require(path.join(dir, 'mods', 'reads.js')), { code: 'ERR_PALISADE_BLOCKED' }, 'the read in the module body is blocked');
    // The loader's depth is restored after the throw: the next ordinary read is judged.
    t.throws(() => fs.readFileSync(`${dir}/mods/${input}`), { code: 'ERR_PALISADE_BLOCKED' });
  });
  t.equal(require(path.join(dir, 'mods', 'reads.js')), 'secret', 'outside the scope the module loads and reads');
  const ev = readEvents(log).filter((e) => e.operation === 'fs.read').pop();
  t.match(ev, { action: 'block', fn: 'readFileSync', resource: { path: path.join(dir, 'secret.txt') } });
});

// require() of an ES module (Node 20.19+, 22.12+) loads and evaluates it inside Module.prototype.load, where the
// depth is raised; its body must still be judged like a CommonJS module's.
const requireModule = (process.features as { require_module?: boolean }).require_module === true;
t.test("require() of an ES module: its body's own read is judged", { skip: requireModule ? false : `require(esm) is not enabled on ${process.version}` }, async (t) => {
  const dir = modules();
  const input = '../secret.txt';
  (globalThis as { __palisadeTarget?: string }).__palisadeTarget = `${dir}/mods/${input}`;
  untrusted('query', { name: input }, () => {
    t.throws(() => require(path.join(dir, 'mods', 'reads.mjs')), { code: 'ERR_PALISADE_BLOCKED' }, 'the read in the module body is blocked');
  });
  const ev = readEvents(log).filter((e) => e.operation === 'fs.read').pop();
  t.match(ev, { action: 'block', fn: 'readFileSync', resource: { path: path.join(dir, 'secret.txt') } });
});

t.test('module loading outside a scope builds nothing either', async (t) => {
  const dir = modules();
  quiet(t, 'require outside a scope', () => require(path.join(dir, 'mods', 'plugin.js')));
});
