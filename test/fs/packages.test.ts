import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPalisadeBlockedError } from '../../lib/index';
import { tmpDir } from '../helpers/app';
import { alternate, blocksNamePackage, withPackage, type Case } from '../helpers/packages';

// fs under package scopes, on real files. Every sync, callback and promise form reads its caller's call sites below
// its own wrapper rather than in check() (the callback and promise wrapper in its own frame, the sync ones in
// judgeCalled: hooks/fs.ts): the app's call is the app's, and the same call made from a package's file is the
// package's, which has no grant.
const PKG = 'fs-helper';
const data = tmpDir();
const file = path.join(data, 'receipt.txt');
const TEXT = 'receipt';
fs.writeFileSync(file, TEXT);
// The app may read and write the tests' temporary folders (`data`, the event log; removing them at exit writes the
// folders themselves) and tap's own files. Packages do not inherit the app's allows and this one has none of its
// own; tap's packages inherit them (its process reporter writes under .tap at exit).
const tmp = `${path.dirname(data)}/palisade-test-*`;
const { log, pkgDir } = withPackage(
  PKG,
  ['  fs.read:', `    - { id: app-tmp, path: "${tmp}/**" }`, '  fs.write:', `    - { id: app-tmp-write, path: ["${tmp}", "${tmp}/**", "\${APP_ROOT}/.tap/**"] }`],
  [
    "exports.readFileSync = (fs, p) => fs.readFileSync(p, 'utf8');",
    'exports.statSync = (fs, p) => fs.statSync(p);',
    'exports.existsSync = (fs, p) => fs.existsSync(p);',
    "exports.writeFileSync = (fs, p, s) => fs.writeFileSync(p, s);",
    "exports.readFile = (fs, p, cb) => fs.readFile(p, 'utf8', cb);",
    "exports.promisesReadFile = (fs, p) => fs.promises.readFile(p, 'utf8');",
  ],
  ['packages:', '  "@tapjs/*": { inherit: true }'],
);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper = require(pkgDir) as {
  readFileSync(f: typeof fs, p: string): string;
  statSync(f: typeof fs, p: string): fs.Stats;
  existsSync(f: typeof fs, p: string): boolean;
  writeFileSync(f: typeof fs, p: string, s: string): void;
  readFile(f: typeof fs, p: string, cb: (err: Error | null, s?: string) => void): void;
  promisesReadFile(f: typeof fs, p: string): Promise<string>;
};

/** 'ok' when `run` answers as the unblocked call does, 'blocked' for Palisade's block. */
function sync(run: () => boolean): Promise<string> {
  try {
    return Promise.resolve(run() ? 'ok' : 'wrong answer');
  } catch (err) {
    return Promise.resolve(isPalisadeBlockedError(err) ? 'blocked' : `error ${String(err)}`);
  }
}

function settled(p: Promise<string>): Promise<string> {
  return p.then(
    (s) => (s === TEXT ? 'ok' : `wrong answer ${s}`),
    (err: unknown) => (isPalisadeBlockedError(err) ? 'blocked' : `error ${String(err)}`),
  );
}

function callback(run: (cb: (err: Error | null, s?: string) => void) => void): Promise<string> {
  return settled(new Promise((resolve, reject) => run((err, s) => (err ? reject(err) : resolve(s!)))));
}

const out = path.join(data, 'out.txt');
const cases: Case[] = [
  {
    name: 'readFileSync', module: 'fs', fn: 'readFileSync', entry: fs.readFileSync,
    app: () => sync(() => fs.readFileSync(file, 'utf8') === TEXT),
    pkg: () => sync(() => helper.readFileSync(fs, file) === TEXT),
  },
  {
    name: 'statSync', module: 'fs', fn: 'statSync', entry: fs.statSync,
    app: () => sync(() => fs.statSync(file).isFile()),
    pkg: () => sync(() => helper.statSync(fs, file).isFile()),
  },
  {
    // A blocked probe answers "does not exist", and the file exists.
    name: 'existsSync', module: 'fs', fn: 'existsSync', entry: fs.existsSync,
    app: () => sync(() => fs.existsSync(file)),
    pkg: () => Promise.resolve(helper.existsSync(fs, file) ? 'not blocked' : 'blocked'),
  },
  {
    name: 'writeFileSync', module: 'fs', fn: 'writeFileSync', entry: fs.writeFileSync,
    app: () => sync(() => (fs.writeFileSync(out, TEXT), true)),
    pkg: () => sync(() => (helper.writeFileSync(fs, out, TEXT), true)),
  },
  {
    name: 'readFile', module: 'fs', fn: 'readFile', entry: fs.readFile,
    app: () => callback((cb) => fs.readFile(file, 'utf8', cb)),
    pkg: () => callback((cb) => helper.readFile(fs, file, cb)),
  },
  {
    name: 'promises.readFile', module: 'fs/promises', fn: 'readFile', entry: fs.promises.readFile,
    app: () => settled(fs.promises.readFile(file, 'utf8')),
    pkg: () => settled(helper.promisesReadFile(fs, file)),
  },
];

t.test('fs: the caller is read in the wrapper, app and package alike', async (t) => {
  await alternate(t, cases, 'ok');
  blocksNamePackage(t, log, 'fs.read', PKG, cases.filter((c) => c.name !== 'writeFileSync'));
  blocksNamePackage(t, log, 'fs.write', PKG, cases.filter((c) => c.name === 'writeFileSync'));
});
