import t from 'tap';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { start, untrusted } from '../../lib/index';
import { readEvents, tmpDir } from '../helpers/app';

// Block mode, in process: every convention (sync throw, callback error on a
// later tick, rejected promise, stream 'error' then 'close'), every path form
// (string, Buffer, file: URL), both ends of two-path functions, and proof on
// disk that a blocked call touched nothing.

const log = path.join(tmpDir(), 'events.log');
// Events are deduplicated per call site; a high rate keeps the bucket from dropping any.
start({ mode: 'block', log, eventsPerSecond: 1_000_000 });

const ATTACK = '../secret.txt';
const BLOCKED = { code: 'ERR_PALISADE_BLOCKED', statusCode: 403, kind: 'path_traversal' };

interface Site {
  dir: string;
  pub: string;
  secret: string;
  /** The path an app builds from the attack input: <dir>/public/../secret.txt. */
  bad: string;
  good: string;
}

function site(): Site {
  const dir = tmpDir('palisade-fs-block-');
  const pub = path.join(dir, 'public');
  fs.mkdirSync(pub);
  fs.writeFileSync(path.join(pub, 'report.txt'), 'report');
  const secret = path.join(dir, 'secret.txt');
  fs.writeFileSync(secret, 'secret');
  // String concatenation keeps the '..' visible to the hook, as many apps do.
  return { dir, pub, secret, bad: `${pub}/${ATTACK}`, good: `${pub}/report.txt` };
}

function attack<T>(fn: () => T, value = ATTACK): T {
  return untrusted('query', { name: value }, fn);
}

function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function lastEvent(fn: string): Record<string, any> | undefined {
  return readEvents(log).filter((e) => e.fn === fn).pop();
}

function cbResult(call: (cb: (err: Error | null, ...rest: unknown[]) => void) => void): Promise<{ err: Error | null; sync: boolean; rest: unknown[] }> {
  return new Promise((resolve) => {
    let returned = false;
    call((err, ...rest) => resolve({ err, sync: !returned, rest }));
    returned = true;
  });
}

t.test('sync: throws, with string, Buffer and file: URL paths', async (t) => {
  const s = site();
  attack(() => {
    t.equal(fs.readFileSync(s.good, 'utf8'), 'report', 'benign read inside the scope works');
    t.throws(() => fs.readFileSync(s.bad), BLOCKED, 'string path');
    t.throws(() => fs.readFileSync(Buffer.from(s.bad)), BLOCKED, 'Buffer path');
    t.throws(() => fs.readFileSync(new Uint8Array(Buffer.from(s.bad))), BLOCKED, 'Uint8Array path');
  });
  t.match(lastEvent('readFileSync'), {
    action: 'block',
    kind: 'path_traversal',
    operation: 'fs.read',
    module: 'fs',
    resource: { path: s.secret, rawPath: s.bad, flags: 'r' },
    input: { source: 'query.name', value: ATTACK },
  });
  // The URL parser removes '..' itself; the input is still found in the path it leads to.
  const url = new URL(`public/${ATTACK}`, pathToFileURL(`${s.dir}/`));
  attack(() => t.throws(() => fs.readFileSync(url), BLOCKED, 'file: URL path'));
  t.match(lastEvent('readFileSync'), { resource: { path: s.secret, rawPath: s.secret } });
  const enc = new URL(`${pathToFileURL(s.pub).href}/%2e%2e/secret.txt`);
  attack(() => t.throws(() => fs.readFileSync(enc), BLOCKED, 'file: URL with encoded dots'), '%2e%2e/secret.txt');
});

t.test('callback: error on a later tick, the callback called once', async (t) => {
  const s = site();
  const r = await attack(() => cbResult((cb) => fs.readFile(s.bad, 'utf8', cb)));
  t.match(r.err, BLOCKED);
  t.equal(r.sync, false, 'delivered after the call returned');
  const ok = await attack(() => cbResult((cb) => fs.readFile(s.good, 'utf8', cb)));
  t.same([ok.err, ok.rest[0]], [null, 'report']);
  const p = await attack(() => promisify(fs.readFile)(s.bad).then(() => 'read', (e: Error) => e));
  t.match(p, BLOCKED, 'util.promisify(fs.readFile) rejects');
  t.throws(() => attack(() => (fs.readFile as unknown as (p: string) => void)(s.bad)), BLOCKED, 'no callback: thrown');
});

t.test('promises: rejected, fs.promises and fs/promises are the same object', async (t) => {
  const s = site();
  t.equal(require('node:fs/promises'), fs.promises, 'same object');
  await t.rejects(attack(() => fs.promises.readFile(s.bad)), BLOCKED);
  await t.rejects(attack(() => fsp.readFile(pathToFileURL(s.bad))), BLOCKED, 'URL through fs/promises');
  t.equal(await attack(() => fsp.readFile(s.good, 'utf8')), 'report');
  await t.rejects(attack(() => fs.openAsBlob(s.bad)), BLOCKED, 'openAsBlob');
});

t.test('FileHandle: the open is judged, read or write by its flags', async (t) => {
  const s = site();
  await t.rejects(attack(() => fsp.open(s.bad)), BLOCKED);
  t.match(lastEvent('open'), { operation: 'fs.read', module: 'fs/promises', resource: { flags: 'r' } });
  const created = `${s.pub}/../created.txt`;
  await t.rejects(attack(() => fsp.open(created, 'w'), '../created.txt'), BLOCKED);
  t.match(lastEvent('open'), { operation: 'fs.write', resource: { flags: 'w' } });
  t.notOk(fs.existsSync(path.join(s.dir, 'created.txt')), 'no file created');
  const fh = await attack(() => fsp.open(s.good, 'r'));
  t.equal(await fh.readFile('utf8'), 'report', 'benign FileHandle works');
  await fh.close();
});

t.test('open flags decide read or write (strings and numbers)', async (t) => {
  const s = site();
  const { O_WRONLY, O_CREAT, O_RDONLY, O_APPEND } = fs.constants;
  const cases: Array<[string | number, 'fs.read' | 'fs.write']> = [
    ['r', 'fs.read'], ['rs', 'fs.read'], ['r+', 'fs.write'], ['w', 'fs.write'], ['wx', 'fs.write'],
    ['a', 'fs.write'], ['a+', 'fs.write'], [O_RDONLY, 'fs.read'], [O_WRONLY | O_CREAT, 'fs.write'], [O_APPEND, 'fs.write'],
  ];
  for (const [flags, op] of cases) {
    const err = attack(() => thrown(() => fs.openSync(s.bad, flags)));
    t.match(err, { ...BLOCKED, operation: op }, `openSync flags ${String(flags)} → ${op}`);
  }
  const r = await attack(() => cbResult((cb) => fs.open(s.bad, 'a', cb)));
  t.match(r.err, BLOCKED);
  t.equal(lastEvent('open')?.operation, 'fs.write');
  t.equal(fs.readFileSync(s.secret, 'utf8'), 'secret', 'nothing appended');
  // readFile with a writing flag truncates: that is a write.
  attack(() => t.throws(() => fs.readFileSync(s.bad, { flag: 'w+' }), BLOCKED));
  t.match(lastEvent('readFileSync'), { operation: 'fs.write', resource: { flags: 'w+' } });
  t.equal(fs.readFileSync(s.secret, 'utf8'), 'secret', 'not truncated');
});

t.test('createReadStream: error (if listened) then close; nothing opened', async (t) => {
  const s = site();
  const order: string[] = [];
  await new Promise<void>((resolve) => {
    const rs = attack(() => fs.createReadStream(s.bad));
    rs.on('error', (e) => order.push(`error:${(e as { code?: string }).code}`));
    rs.on('data', () => order.push('data'));
    rs.on('close', () => {
      order.push('close');
      resolve();
    });
  });
  t.same(order, ['error:ERR_PALISADE_BLOCKED', 'close']);
  t.match(lastEvent('createReadStream'), { operation: 'fs.read', resource: { rawPath: s.bad, flags: 'r' } });

  // No 'error' listener: no crash (an unheard 'error' would be an uncaught exception), just 'close'.
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown): void => void uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  await new Promise<void>((resolve) => attack(() => fs.createReadStream(s.bad, 'utf8')).on('close', () => resolve()));
  await new Promise((r) => setImmediate(r));
  process.off('uncaughtException', onUncaught);
  t.same(uncaught, [], 'no uncaught exception');

  const err = await new Promise<unknown>((resolve) => {
    const rs = attack(() => fs.createReadStream(s.bad));
    pipeline(rs, fs.createWriteStream(path.join(s.dir, 'copy.txt')), resolve);
  });
  t.match(err, BLOCKED, 'pipeline() reports the block');
  // pipeline() destroys the destination too, possibly before it opened its file.
  const copy = path.join(s.dir, 'copy.txt');
  t.equal(fs.existsSync(copy) ? fs.readFileSync(copy, 'utf8') : '', '', 'nothing was copied');

  const chunks: string[] = [];
  for await (const c of attack(() => fs.createReadStream(s.good, { encoding: 'utf8' }))) chunks.push(c as string);
  t.equal(chunks.join(''), 'report', 'benign stream reads');
  const iterErr = await (async () => {
    try {
      for await (const _ of attack(() => fs.createReadStream(s.bad))) void _;
      return undefined;
    } catch (e) {
      return e;
    }
  })();
  t.match(iterErr, BLOCKED, 'async iteration throws the block');
});

t.test('createWriteStream: no file created, error then close', async (t) => {
  const s = site();
  const target = path.join(s.dir, 'written.txt');
  const bad = `${s.pub}/../written.txt`;
  const order: string[] = [];
  await new Promise<void>((resolve) => {
    const ws = attack(() => fs.createWriteStream(bad), '../written.txt');
    ws.on('error', () => order.push('error'));
    ws.on('finish', () => order.push('finish'));
    ws.on('close', () => {
      order.push('close');
      resolve();
    });
    ws.write('x');
  });
  t.same(order, ['error', 'close']);
  t.notOk(fs.existsSync(target), 'no file created');
  t.match(lastEvent('createWriteStream'), { operation: 'fs.write', resource: { flags: 'w' } });
  const err = await new Promise<unknown>((resolve) => pipeline(Readable.from(['a', 'b']), attack(() => fs.createWriteStream(bad), '../written.txt'), resolve));
  t.match(err, BLOCKED);
  t.notOk(fs.existsSync(target));
  await new Promise<void>((resolve) => {
    const ws = attack(() => fs.createWriteStream(path.join(s.pub, 'up.txt')));
    ws.end('ok', () => resolve());
  });
  t.equal(fs.readFileSync(path.join(s.pub, 'up.txt'), 'utf8'), 'ok', 'benign write stream writes');
});

t.test('writes: sync, callback and promise forms touch nothing', async (t) => {
  const s = site();
  const victimName = '../victim.txt';
  const victim = path.join(s.dir, 'victim.txt');
  const bad = `${s.pub}/${victimName}`;
  const reset = (): void => fs.writeFileSync(victim, 'victim');
  reset();
  const fresh = `${s.pub}/../fresh`;
  const freshPath = path.join(s.dir, 'fresh');
  const syncCases: Array<[string, () => unknown]> = [
    ['writeFileSync', () => fs.writeFileSync(bad, 'pwned')],
    ['appendFileSync', () => fs.appendFileSync(bad, 'pwned')],
    ['truncateSync', () => fs.truncateSync(bad, 0)],
    ['unlinkSync', () => fs.unlinkSync(bad)],
    ['rmSync', () => fs.rmSync(bad, { force: true })],
    ['chmodSync', () => fs.chmodSync(bad, 0o777)],
    ['chownSync', () => fs.chownSync(bad, process.getuid!(), process.getgid!())],
    ['lchownSync', () => fs.lchownSync(bad, process.getuid!(), process.getgid!())],
    ['utimesSync', () => fs.utimesSync(bad, 1, 1)],
    ['lutimesSync', () => fs.lutimesSync(bad, 1, 1)],
  ];
  const before = fs.statSync(victim);
  for (const [fn, call] of syncCases) {
    const err = attack(() => thrown(call), victimName);
    t.match(err, { ...BLOCKED, operation: 'fs.write' }, fn);
  }
  attack(() => t.throws(() => fs.unlinkSync(bad), BLOCKED), victimName);
  t.match(lastEvent('unlinkSync'), { operation: 'fs.write', resource: { path: victim, rawPath: bad, flags: 'w' } });
  const after = fs.statSync(victim);
  t.equal(fs.readFileSync(victim, 'utf8'), 'victim', 'content intact');
  t.equal(after.mode, before.mode, 'mode intact');
  t.equal(after.mtimeMs, before.mtimeMs, 'times intact');
  attack(() => t.throws(() => fs.mkdirSync(fresh), BLOCKED), '../fresh');
  attack(() => t.throws(() => fs.mkdtempSync(fresh), BLOCKED), '../fresh');
  fs.mkdirSync(path.join(s.dir, 'keep'));
  attack(() => t.throws(() => fs.rmdirSync(`${s.pub}/../keep`), BLOCKED), '../keep');
  t.ok(fs.existsSync(path.join(s.dir, 'keep')), 'directory not removed');
  t.notOk(fs.readdirSync(s.dir).some((f) => f.startsWith('fresh')), 'no directory created');

  const cbCases: Array<[string, (cb: (e: Error | null) => void) => void]> = [
    ['writeFile', (cb) => fs.writeFile(bad, 'pwned', cb)],
    ['appendFile', (cb) => fs.appendFile(bad, 'pwned', cb)],
    ['truncate', (cb) => fs.truncate(bad, 0, cb)],
    ['unlink', (cb) => fs.unlink(bad, cb)],
    ['rm', (cb) => fs.rm(bad, cb)],
    ['chmod', (cb) => fs.chmod(bad, 0o777, cb)],
    ['utimes', (cb) => fs.utimes(bad, 1, 1, cb)],
  ];
  for (const [fn, call] of cbCases) {
    const r = await attack(() => cbResult(call), victimName);
    t.match(r.err, BLOCKED, fn);
    t.equal(r.sync, false, `${fn}: later tick`);
  }
  const r = await attack(() => cbResult((cb) => fs.mkdir(fresh, { recursive: true }, cb)), '../fresh');
  t.match(r.err, BLOCKED, 'mkdir');
  const promiseCases: Array<[string, () => Promise<unknown>]> = [
    ['writeFile', () => fsp.writeFile(bad, 'pwned')],
    ['appendFile', () => fsp.appendFile(bad, 'pwned')],
    ['truncate', () => fsp.truncate(bad)],
    ['unlink', () => fsp.unlink(bad)],
    ['rm', () => fsp.rm(bad)],
    ['chmod', () => fsp.chmod(bad, 0o777)],
    ['lchown', () => fsp.lchown(bad, process.getuid!(), process.getgid!())],
    ['utimes', () => fsp.utimes(bad, 1, 1)],
  ];
  for (const [fn, call] of promiseCases) await t.rejects(attack(call, victimName), BLOCKED, `promises.${fn}`);
  await t.rejects(attack(() => fsp.mkdtemp(fresh), '../fresh'), BLOCKED, 'promises.mkdtemp');
  t.equal(fs.readFileSync(victim, 'utf8'), 'victim', 'still intact after callback and promise forms');
  t.equal(fs.statSync(victim).mode, before.mode);
  t.notOk(fs.existsSync(freshPath));
  attack(() => fs.writeFileSync(path.join(s.pub, 'ok.txt'), 'fine'), 'ok.txt');
  t.equal(fs.readFileSync(path.join(s.pub, 'ok.txt'), 'utf8'), 'fine', 'benign write works');
});

t.test('two-path functions: both ends judged', async (t) => {
  const s = site();
  const outside = `${s.pub}/../moved.txt`;
  const outsidePath = path.join(s.dir, 'moved.txt');
  const inside = path.join(s.pub, 'inside.txt');
  const input = '../moved.txt';

  // Destination escapes.
  attack(() => t.throws(() => fs.copyFileSync(s.good, outside), BLOCKED), input);
  t.match(lastEvent('copyFileSync'), { operation: 'fs.write', resource: { path: outsidePath } });
  attack(() => t.throws(() => fs.renameSync(s.good, outside), BLOCKED), input);
  attack(() => t.throws(() => fs.linkSync(s.good, outside), BLOCKED), input);
  attack(() => t.throws(() => fs.symlinkSync(s.good, outside), BLOCKED), input);
  attack(() => t.throws(() => fs.cpSync(s.good, outside), BLOCKED), input);
  t.ok(fs.existsSync(s.good), 'rename source still there');
  t.notOk(fs.existsSync(outsidePath), 'nothing at the destination');

  // Source escapes.
  attack(() => t.throws(() => fs.copyFileSync(s.bad, inside), BLOCKED));
  t.match(lastEvent('copyFileSync'), { operation: 'fs.read', resource: { path: s.secret } });
  attack(() => t.throws(() => fs.renameSync(s.bad, inside), BLOCKED));
  t.match(lastEvent('renameSync'), { operation: 'fs.write', resource: { path: s.secret } }, 'a rename removes its source: a write');
  attack(() => t.throws(() => fs.linkSync(s.bad, inside), BLOCKED));
  t.match(lastEvent('linkSync'), { operation: 'fs.read' });
  t.ok(fs.existsSync(s.secret), 'secret not moved');
  t.notOk(fs.existsSync(inside), 'no copy, link or rename landed');

  // A symlink target is relative to the link's directory, not the working directory.
  attack(() => t.throws(() => fs.symlinkSync(ATTACK, inside), BLOCKED));
  t.match(lastEvent('symlinkSync'), { operation: 'fs.read', resource: { rawPath: ATTACK, path: s.secret } });
  t.notOk(fs.existsSync(inside));

  // Callback and promise forms.
  const r = await attack(() => cbResult((cb) => fs.copyFile(s.bad, inside, cb)));
  t.match(r.err, BLOCKED);
  const r2 = await attack(() => cbResult((cb) => fs.cp(s.good, outside, cb)), input);
  t.match(r2.err, BLOCKED);
  const r3 = await attack(() => cbResult((cb) => fs.rename(s.good, outside, cb)), input);
  t.match(r3.err, BLOCKED);
  await t.rejects(attack(() => fsp.copyFile(s.good, outside), input), BLOCKED);
  await t.rejects(attack(() => fsp.cp(s.bad, inside)), BLOCKED);
  await t.rejects(attack(() => fsp.rename(s.bad, inside)), BLOCKED);
  await t.rejects(attack(() => fsp.link(s.bad, inside)), BLOCKED);
  await t.rejects(attack(() => fsp.symlink(s.good, outside), input), BLOCKED);
  t.notOk(fs.existsSync(outsidePath));
  t.notOk(fs.existsSync(inside));
  t.ok(fs.existsSync(s.secret) && fs.existsSync(s.good));

  attack(() => fs.copyFileSync(s.good, inside), 'inside.txt');
  t.equal(fs.readFileSync(inside, 'utf8'), 'report', 'benign copy works');
});

t.test('metadata reads and exists', async (t) => {
  const s = site();
  const calls: Array<[string, () => unknown, string]> = [
    ['statSync', () => fs.statSync(s.bad), ATTACK],
    ['lstatSync', () => fs.lstatSync(s.bad), ATTACK],
    ['accessSync', () => fs.accessSync(s.bad), ATTACK],
    ['realpathSync', () => fs.realpathSync(s.bad), ATTACK],
    ['realpathSync.native', () => fs.realpathSync.native(s.bad), ATTACK],
    ['readlinkSync', () => fs.readlinkSync(s.bad), ATTACK],
    ['statfsSync', () => fs.statfsSync(s.bad), ATTACK],
    ['readdirSync', () => fs.readdirSync(`${s.pub}/..`), '..'],
    ['opendirSync', () => fs.opendirSync(`${s.pub}/..`), '..'],
  ];
  for (const [fn, call, input] of calls) {
    const err = attack(() => thrown(call), input);
    t.match(err, { ...BLOCKED, operation: 'fs.read' }, fn);
  }
  const rp = await attack(() => cbResult((cb) => fs.realpath.native(s.bad, cb)));
  t.match(rp.err, BLOCKED, 'realpath.native');
  await t.rejects(attack(() => fsp.stat(s.bad)), BLOCKED);
  await t.rejects(attack(() => fsp.readdir(`${s.pub}/..`), '..'), BLOCKED);

  t.equal(attack(() => fs.existsSync(s.bad)), false, 'existsSync answers false');
  t.equal(fs.existsSync(s.bad), true, 'the file does exist (outside the scope)');
  const ex = await attack(() => new Promise<{ v: unknown; n: number }>((resolve) => fs.exists(s.bad, (...a: unknown[]) => resolve({ v: a[0], n: a.length }))));
  t.same(ex, { v: false, n: 1 }, 'exists calls back with false only');
  t.equal(await attack(() => promisify(fs.exists)(s.bad)), false, 'util.promisify(fs.exists)');
  t.equal(await attack(() => promisify(fs.exists)(s.good)), true);
  t.equal(attack(() => fs.existsSync(s.good)), true);
});

t.test('outside any scope nothing is judged', async (t) => {
  const s = site();
  const n = readEvents(log).length;
  t.equal(fs.readFileSync(s.bad, 'utf8'), 'secret');
  t.equal(await fsp.readFile(s.bad, 'utf8'), 'secret');
  t.equal(readEvents(log).length, n, 'no events');
});

// fs.glob (Node 22+): each pattern is judged as a read of itself, resolved against the cwd option.
const fsGlob = fs as unknown as {
  globSync?: (p: string | string[], o?: { cwd?: string }) => string[];
  glob?: (p: string | string[], o: { cwd?: string }, cb: (err: Error | null, matches?: string[]) => void) => void;
};
const fspGlob = fsp as unknown as { glob?: (p: string | string[], o?: { cwd?: string }) => AsyncIterable<string> };
const noGlob = typeof fsGlob.globSync !== 'function' ? `fs.glob needs Node 22+ (this is ${process.version})` : false;

t.test('glob: sync, callback and async-iterator forms; pattern, array and cwd', { skip: noGlob }, async (t) => {
  const s = site();
  const globSync = fsGlob.globSync!;
  const bad = `${s.pub}/../secret*`;
  t.match(thrown(() => attack(() => globSync(bad), '../secret*')), BLOCKED, 'globSync: a traversing pattern throws');
  t.match(lastEvent('globSync'), { operation: 'fs.read', resource: { path: path.join(s.dir, 'secret*') }, input: { source: 'query.name' } });
  t.match(thrown(() => attack(() => globSync([`${s.pub}/*.txt`, bad]), '../secret*')), BLOCKED, 'globSync: one traversing pattern in an array');
  t.match(thrown(() => attack(() => globSync('*', { cwd: `${s.pub}/..` }), '..')), BLOCKED, 'globSync: a cwd built from input');
  t.same(attack(() => globSync(`${s.pub}/*.txt`), 'txt'), [s.good], 'globSync: a benign pattern lists');

  const cb = await attack(() => cbResult((done) => fsGlob.glob!(bad, {}, done)), '../secret*');
  t.match(cb.err, BLOCKED, 'glob: error through the callback');
  t.notOk(cb.sync, 'on a later tick');
  const ok = await attack(() => cbResult((done) => fsGlob.glob!('*.txt', { cwd: s.pub }, done)), 'txt');
  t.same(ok.rest[0], ['report.txt'], 'glob: a benign pattern lists');

  const iterate = async (it: AsyncIterable<string>): Promise<string[]> => {
    const out: string[] = [];
    for await (const f of it) out.push(f);
    return out;
  };
  await t.rejects(attack(() => iterate(fspGlob.glob!(bad)), '../secret*'), BLOCKED, 'promises.glob: the first step rejects');
  t.same(await attack(() => iterate(fspGlob.glob!('*.txt', { cwd: s.pub })), 'txt'), ['report.txt'], 'promises.glob: a benign pattern lists');
});

const mkdtempDisposableSync = (fs as unknown as { mkdtempDisposableSync?: (prefix: string) => { path: string; remove(): void } }).mkdtempDisposableSync;
t.test('mkdtempDisposable: judged as a write of its prefix', { skip: mkdtempDisposableSync === undefined ? `needs Node 24.4+ (this is ${process.version})` : false }, async (t) => {
  const s = site();
  const before = fs.readdirSync(s.dir).length;
  t.match(thrown(() => attack(() => mkdtempDisposableSync!(`${s.pub}/../tmp-`), '../tmp-')), BLOCKED, 'sync');
  const promised = (fsp as unknown as { mkdtempDisposable: (prefix: string) => Promise<unknown> }).mkdtempDisposable;
  await t.rejects(attack(() => promised(`${s.pub}/../tmp-`), '../tmp-'), BLOCKED, 'promises');
  t.equal(fs.readdirSync(s.dir).length, before, 'no directory created');
});
