import t from 'tap';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { start, untrusted, PalisadeBlockedError } from '../../lib/index';
import { agentState } from '../../lib/agent';
import { readEvents, tmpDir } from '../helpers/app';

// Every child_process function, in block and monitor mode, in-process, with a
// real shell and real marker files: the call either never runs (block) or
// runs and is reported (monitor).
const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'block', log });
const state = agentState()!;
const setMode = (m: 'block' | 'monitor'): void => {
  state.config.mode = m;
};

let n = 0;
function attack(): { marker: string; value: string } {
  const marker = path.join(dir, `m${n++}`);
  return { marker, value: `x; touch ${marker}` };
}

type Case = {
  name: string;
  run: (value: string, marker: string) => Promise<unknown>;
};

const cases: Case[] = [
  { name: 'execSync', run: async (v) => cp.execSync(`echo ${v}`) },
  { name: 'exec (callback)', run: (v) => new Promise((res, rej) => cp.exec(`echo ${v}`, (e, out) => (e ? rej(e) : res(out)))) },
  { name: 'exec (promisified)', run: (v) => promisify(cp.exec)(`echo ${v}`) },
  { name: 'spawnSync shell', run: async (v) => { const r = cp.spawnSync(`echo ${v}`, { shell: true }); if (r.error) throw r.error; return r; } },
  { name: 'spawn shell', run: (v) => new Promise((res, rej) => { const c = cp.spawn(`echo ${v}`, { shell: true }); c.on('error', rej); c.on('close', res); }) },
  { name: 'execFile shell', run: (v) => new Promise((res, rej) => cp.execFile(`echo ${v}`, { shell: true }, (e, out) => (e ? rej(e) : res(out)))) },
  { name: 'execFileSync sh -c', run: async (v) => cp.execFileSync('/bin/sh', ['-c', `echo ${v}`]) },
  {
    name: 'fork (argv option injection)',
    run: (_v, marker) => {
      const value = `--require=${marker}`;
      return untrusted('query', { arg: value }, () => new Promise((res, rej) => {
        const c = cp.fork(path.join(__dirname, '..', 'fixtures', 'apps', 'noop.js'), [value], { silent: true });
        c.on('error', rej);
        c.on('exit', res);
      }));
    },
  },
];

fs.writeFileSync(path.join(__dirname, '..', 'fixtures', 'apps', 'noop.js'), "'use strict';\n// Does nothing: a fork target.\n");

for (const c of cases) {
  t.test(`${c.name}: block`, async (t) => {
    setMode('block');
    const { marker, value } = attack();
    const err = await untrusted('query', { dir: value }, () => c.run(value, marker)).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(err, PalisadeBlockedError, 'caller gets PalisadeBlockedError');
    t.match(err, { code: 'ERR_PALISADE_BLOCKED', statusCode: 403 });
    t.notOk(fs.existsSync(marker), 'the process never ran');
    const ev = readEvents(log).find((e) => e.eventId === (err as PalisadeBlockedError).eventId);
    t.match(ev, { action: 'block', kind: 'command_injection', operation: 'process.spawn', untrustedScope: 'query' });
  });
  t.test(`${c.name}: monitor`, async (t) => {
    setMode('monitor');
    const { marker, value } = attack();
    const before = readEvents(log).length;
    await untrusted('query', { dir: value }, () => c.run(value, marker)).catch(() => undefined);
    const evs = readEvents(log).slice(before);
    t.ok(evs.some((e) => e.action === 'report' && e.kind === 'command_injection'), 'reported');
    if (!c.name.startsWith('fork')) t.ok(fs.existsSync(marker), 'and it ran');
  });
}

t.test('blocked exec callback arrives on a later tick; ChildProcess emits error then close', async (t) => {
  setMode('block');
  const { value } = attack();
  await untrusted('query', { dir: value }, async () => {
    let sync = true;
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      const child = cp.exec(`echo ${value}`, (err) => {
        t.notOk(sync, 'callback is not synchronous');
        order.push(`callback:${(err as { code?: string }).code}`);
      });
      child.on('error', () => order.push('error'));
      child.on('close', () => {
        order.push('close');
        resolve();
      });
      t.ok(child.stdout, 'stdout exists, so child.stdout.on() does not crash');
      sync = false;
    });
    t.same(order, ['callback:ERR_PALISADE_BLOCKED', 'error', 'close']);
  });
});

t.test('spawn with no error listener does not crash the process', async (t) => {
  setMode('block');
  const { marker, value } = attack();
  await untrusted('query', { dir: value }, () => new Promise<void>((resolve) => {
    const c = cp.spawn(`echo ${value}`, { shell: true });
    c.on('close', () => resolve());
  }));
  t.notOk(fs.existsSync(marker));
});

t.test('no injection event outside a request, even for a suspicious command', async (t) => {
  setMode('block');
  const before = readEvents(log).length;
  const out = cp.execSync('echo a; echo b').toString();
  t.equal(out, 'a\nb\n', 'ran normally');
  t.equal(readEvents(log).length, before, 'no event');
});

t.test('benign input in a request runs', async (t) => {
  setMode('block');
  const out = untrusted('query', { dir: 'hello-world.txt' }, () => cp.execSync('echo hello-world.txt').toString());
  t.equal(out, 'hello-world.txt\n');
});
