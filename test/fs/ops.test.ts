import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { flagsOf, flagsWrite, fsSpecs, isUrl, promiseSpecs, rawPathOf, resolvedPath, type PathArg } from '../../hooks/fs-ops';

// The pure half of the fs hook: the function table, flags, path forms.

t.test('the table covers every path-taking function Node has', async (t) => {
  const names = new Set(fsSpecs().map((s) => s.name));
  // fd-based functions, watchers and classes are deliberately absent (docs/hooks-fs.md).
  const notPaths = new Set([
    'close', 'closeSync', 'fchown', 'fchownSync', 'fchmod', 'fchmodSync', 'fdatasync', 'fdatasyncSync', 'fstat', 'fstatSync',
    'fsync', 'fsyncSync', 'ftruncate', 'ftruncateSync', 'futimes', 'futimesSync', 'read', 'readSync', 'readv', 'readvSync',
    'write', 'writeSync', 'writev', 'writevSync', 'watch', 'watchFile', 'unwatchFile', '_toUnixTimestamp',
  ]);
  for (const k of Object.keys(fs)) {
    const v = (fs as unknown as Record<string, unknown>)[k];
    if (typeof v !== 'function' || /^[A-Z]/.test(k) || notPaths.has(k)) continue;
    t.ok(names.has(k), `fs.${k} is covered`);
  }
  const pnames = new Set(promiseSpecs().map((s) => s.name));
  for (const k of Object.keys(fs.promises)) {
    const v = (fs.promises as unknown as Record<string, unknown>)[k];
    if (typeof v !== 'function' || k === 'watch') continue;
    t.ok(pnames.has(k), `fs.promises.${k} is covered`);
  }
});

t.test('open flags: read or write', async (t) => {
  const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_SYNC } = fs.constants;
  for (const f of ['r', 'rs', 'sr', O_RDONLY, O_RDONLY | O_SYNC]) t.notOk(flagsWrite(f), `${String(f)} reads`);
  for (const f of ['r+', 'rs+', 'w', 'wx', 'w+', 'a', 'ax', 'a+', 'as', O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND]) t.ok(flagsWrite(f), `${String(f)} writes`);
  const open: PathArg = { index: 0, intent: 'flags', flags: 'r', flagsArg: 1 };
  t.equal(flagsOf(open, ['/x']), 'r', 'default');
  t.equal(flagsOf(open, ['/x', () => {}]), 'r', 'callback in the flags position');
  t.equal(flagsOf(open, ['/x', 'a+']), 'a+');
  t.equal(flagsOf(open, ['/x', O_WRONLY]), O_WRONLY);
  const readFile: PathArg = { index: 0, intent: 'flags', flags: 'r', flagsArg: 1, flagsKey: 'flag' };
  t.equal(flagsOf(readFile, ['/x', 'utf8']), 'r', 'encoding string');
  t.equal(flagsOf(readFile, ['/x', { encoding: 'utf8', flag: 'w+' }]), 'w+');
  t.equal(flagsOf(readFile, ['/x', null]), 'r');
});

t.test('path forms', async (t) => {
  t.equal(rawPathOf('a/../b'), 'a/../b', 'string as passed');
  t.equal(rawPathOf(Buffer.from('/tmp/é/../x')), '/tmp/é/../x', 'Buffer as UTF-8');
  t.equal(rawPathOf(new Uint8Array(Buffer.from('/u8'))), '/u8', 'Uint8Array');
  t.equal(rawPathOf(pathToFileURL('/tmp/a b/c')), '/tmp/a b/c', 'file: URL, percent-decoded');
  t.equal(rawPathOf(new URL('http://example.test/x')), undefined, 'other schemes: Node rejects them');
  t.equal(rawPathOf(new URL('file:///a%2fb')), undefined, 'encoded slash: Node rejects it');
  t.equal(rawPathOf(3), undefined, 'fd');
  t.equal(rawPathOf({ fd: 3 }), undefined, 'FileHandle-like');
  t.notOk(isUrl({ href: 'file:///x', protocol: 'file:', path: '/x', auth: null }), 'legacy url.parse object is not a URL');
});

t.test('resolvedPath equals path.resolve (fast path for already-normal absolute paths)', async (t) => {
  const p: PathArg = { index: 0, intent: 'read', flags: 'r' };
  const cases = [
    '/', '/a', '/a/b', '/a/b/', '//a', '/a//b', '/a/./b', '/a/../b', '/..', '/.', '/a/.', '/a/..', '/a/.b', '/a/..b', '/a/b..',
    '/a/...', '/.a', '/..a/b', 'a', 'a/b', './a', '../a', '', '.', '/a/b/c.txt', '/a\\..\\b', '/a/b/.././c', '/\0x',
  ];
  for (const c of cases) t.equal(resolvedPath(c, p, [c]), path.resolve(c), JSON.stringify(c));
  const link: PathArg = { index: 0, intent: 'read', flags: 'r', relativeTo: 1 };
  t.equal(resolvedPath('../t', link, ['../t', '/d/e/link']), '/d/t', 'symlink target relative to the link directory');
  t.equal(resolvedPath('/abs', link, ['/abs', '/d/e/link']), '/abs');
});
