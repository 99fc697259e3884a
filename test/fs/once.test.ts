import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { start, untrusted } from '../../lib/index';
import { fsBuildCount } from '../../hooks/fs';
import { readEvents, tmpDir } from '../helpers/app';

// Monitor mode: attacks are reported and run. Node implements many fs
// functions with other public fs functions (appendFile → writeFile → open,
// readFileSync → openSync, streams → open on the next tick, rm/cp/realpath →
// lstat, readdir, unlink... on later ticks). Each app call must be judged
// exactly once per path argument, and what the app does next must be judged
// again.

const log = path.join(tmpDir(), 'events.log');
start({ mode: 'monitor', log, eventsPerSecond: 1_000_000 });

function tree(): { dir: string; pub: string } {
  const dir = tmpDir('palisade-fs-once-');
  const pub = path.join(dir, 'public');
  fs.mkdirSync(pub);
  fs.writeFileSync(path.join(pub, 'report.txt'), 'report');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  fs.mkdirSync(path.join(dir, 'data', 'a', 'b'), { recursive: true });
  for (const f of ['data/1.txt', 'data/a/2.txt', 'data/a/b/3.txt']) fs.writeFileSync(path.join(dir, f), f);
  return { dir, pub };
}

async function builds(input: string, fn: () => unknown): Promise<number> {
  const before = fsBuildCount();
  await untrusted('query', { name: input }, fn);
  return fsBuildCount() - before;
}

const done = (resolve: () => void) => (err: unknown): void => {
  if (err) throw err;
  resolve();
};

t.test('monitor mode reports and lets the call run', async (t) => {
  const { pub } = tree();
  const text = untrusted('query', { name: '../secret.txt' }, () => fs.readFileSync(`${pub}/../secret.txt`, 'utf8'));
  t.equal(text, 'secret');
  const ev = readEvents(log).find((e) => e.fn === 'readFileSync');
  t.match(ev, { action: 'report', mode: 'monitor', kind: 'path_traversal', operation: 'fs.read', input: { source: 'query.name' } });
});

t.test('each app call is judged once per path argument', async (t) => {
  const { dir, pub } = tree();
  const bad = `${pub}/../secret.txt`;
  const input = '../secret.txt';
  const cases: Array<[string, number, () => unknown]> = [
    ['readFileSync (openSync inside)', 1, () => fs.readFileSync(bad)],
    ['appendFileSync (writeFileSync inside)', 1, () => fs.appendFileSync(bad, '')],
    ['writeFile (open inside)', 1, () => new Promise<void>((r) => fs.writeFile(bad, 'secret', done(r)))],
    ['appendFile (writeFile, open inside)', 1, () => new Promise<void>((r) => fs.appendFile(bad, '', done(r)))],
    ['truncate (open inside)', 1, () => new Promise<void>((r) => fs.truncate(bad, 6, done(r)))],
    ['exists (access inside)', 1, () => new Promise<void>((r) => fs.exists(bad, () => r()))],
    ['realpath (lstat of every ancestor, later ticks)', 1, () => new Promise<void>((r) => fs.realpath(bad, done(r)))],
    ['createReadStream (open on the next tick)', 1, () => new Promise<void>((r) => fs.createReadStream(bad).on('close', r).resume())],
    ['createWriteStream (open on the next tick)', 1, () => new Promise<void>((r) => fs.createWriteStream(`${pub}/../w.txt`).on('close', r).end('x'))],
    ['copyFile', 2, () => new Promise<void>((r) => fs.copyFile(bad, `${pub}/../copy.txt`, done(r)))],
  ];
  for (const [label, n, call] of cases) t.equal(await builds(input, call), n, label);
  t.equal(fs.readFileSync(path.join(dir, 'secret.txt'), 'utf8'), 'secret', 'the monitored calls ran');
});

t.test('recursive rm and cp: the whole tree is one judgment', async (t) => {
  const { dir, pub } = tree();
  const input = '../data';
  const src = `${pub}/../data`;
  t.equal(await builds(input, () => new Promise<void>((r) => fs.cp(src, `${pub}/../c1`, { recursive: true }, done(r)))), 2, 'cp');
  t.equal(await builds(input, () => fs.promises.cp(src, `${pub}/../c2`, { recursive: true })), 2, 'promises.cp');
  t.equal(await builds(input, () => fs.cpSync(src, `${pub}/../c3`, { recursive: true })), 2, 'cpSync');
  for (const c of ['c1', 'c2', 'c3']) t.ok(fs.existsSync(path.join(dir, c, 'a', 'b', '3.txt')), `${c} copied (monitor runs it)`);
  t.equal(await builds('../c1', () => new Promise<void>((r) => fs.rm(`${pub}/../c1`, { recursive: true }, done(r)))), 1, 'rm');
  t.equal(await builds('../c2', () => fs.promises.rm(`${pub}/../c2`, { recursive: true })), 1, 'promises.rm');
  t.equal(await builds('../c3', () => fs.rmSync(`${pub}/../c3`, { recursive: true })), 1, 'rmSync');
  for (const c of ['c1', 'c2', 'c3']) t.notOk(fs.existsSync(path.join(dir, c)), `${c} removed`);
});

t.test('after a nested call, the app is judged again (the marker does not leak)', async (t) => {
  const { pub } = tree();
  const input = '../secret.txt';
  const bad = `${pub}/../secret.txt`;
  // Callback: the app's code in the callback runs in its own context.
  const inCallback = await builds(input, () => new Promise<void>((resolve) => {
    fs.realpath(bad, () => {
      fs.readFileSync(bad);
      resolve();
    });
  }));
  t.equal(inCallback, 2, 'realpath + the readFileSync in its callback');
  const inRm = await builds('../data', () => new Promise<void>((resolve) => {
    fs.rm(`${pub}/../data/1.txt`, () => {
      fs.statSync(`${pub}/../data`);
      resolve();
    });
  }));
  t.equal(inRm, 2, 'rm + the statSync in its callback');
  // Promise: the continuation after await.
  const afterAwait = await builds('../data', async () => {
    await fs.promises.cp(`${pub}/../data`, `${pub}/../d2`, { recursive: true });
    fs.readdirSync(`${pub}/../data`);
  });
  t.equal(afterAwait, 3, 'cp (2 paths) + the readdirSync after await');
  const afterStream = await builds(input, () => new Promise<void>((resolve) => {
    fs.createReadStream(bad).on('data', () => fs.statSync(bad)).on('close', resolve);
  }));
  t.equal(afterStream, 2, "createReadStream + the statSync in its 'data' handler");
});

const fsp = fs.promises as unknown as { glob?: (p: string, o?: { cwd?: string }) => AsyncIterable<string> };
t.test('glob: the tree walk (public lstat and readdir inside) is one judgment per pattern', { skip: typeof fsp.glob !== 'function' ? `fs.glob needs Node 22+ (this is ${process.version})` : false }, async (t) => {
  const { dir } = tree();
  const g = fs as unknown as {
    globSync: (p: string | string[], o?: { cwd?: string }) => string[];
    glob: (p: string, o: { cwd?: string }, cb: (err: Error | null, m?: string[]) => void) => void;
  };
  const found: string[][] = [];
  t.equal(await builds('data', () => found.push(g.globSync('data/**/*.txt', { cwd: dir }))), 1, 'globSync');
  t.equal(await builds('data', () => found.push(g.globSync(['data/*.txt', 'data/a/*.txt'], { cwd: dir }))), 2, 'globSync, two patterns');
  t.equal(await builds('data', () => new Promise<void>((r) => g.glob('data/**/*.txt', { cwd: dir }, (err, m) => { if (err) throw err; found.push(m!); r(); }))), 1, 'glob (callback)');
  t.equal(await builds('data', async () => {
    const out: string[] = [];
    for await (const f of fsp.glob!('data/**/*.txt', { cwd: dir })) out.push(f);
    found.push(out);
  }), 1, 'promises.glob, iterated in the scope');
  t.same(found.map((m) => m.length), [3, 2, 3, 3], 'each walk found its files');
  // What the app does after iterating is judged again.
  t.equal(await builds('data', async () => {
    for await (const f of fsp.glob!('data/*.txt', { cwd: dir })) void f;
    fs.readFileSync(path.join(dir, 'data', '1.txt'));
  }), 2, 'a read after the iteration is judged');
});
