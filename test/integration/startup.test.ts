import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { GUARD, ROOT } from '../helpers/app';

// How an operator meets Palisade: the preload, its startup line, and what a
// bad configuration does.
function run(env: Record<string, string>, code = "console.log('app ran')"): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, ['--require', GUARD, '--require', 'palisade/register', '-e', code], {
    cwd: ROOT,
    env: { ...process.env, PALISADE_MODE: '', PALISADE_LOG: 'stderr', ...env },
    encoding: 'utf8',
  });
}

t.test('invalid PALISADE_MODE: one clear line, the app still starts in monitor mode', async (t) => {
  const r = run({ PALISADE_MODE: 'blok' });
  t.equal(r.status, 0);
  t.match(r.stdout, 'app ran');
  t.match(r.stderr, 'palisade: PALISADE_MODE="blok" is not valid; allowed: block, monitor, learn, off (using monitor)');
  t.match(r.stderr, /"mode":"monitor"/);
});

t.test('invalid value with PALISADE_FAIL=closed refuses to start', async (t) => {
  const r = run({ PALISADE_MODE: 'blok', PALISADE_FAIL: 'closed' });
  t.equal(r.status, 78);
  t.notMatch(r.stdout, 'app ran');
  t.match(r.stderr, /PALISADE_MODE="blok" is not valid/);
});

t.test('startup line says the mode and its source', async (t) => {
  const r = run({ PALISADE_MODE: 'block' });
  t.equal(r.status, 0);
  const line = String(r.stderr).split('\n').find((l) => l.includes('started'));
  t.match(JSON.parse(line!), { mode: 'block', modeSource: 'env', msg: /started: mode=block \(env\)/ });
});

t.test('PALISADE_LOG to a file', async (t) => {
  const file = path.join(t.testdirName, 'x', 'events.log');
  const r = run({ PALISADE_LOG: file });
  t.equal(r.status, 0);
  t.match(require('node:fs').readFileSync(file, 'utf8'), /started: mode=monitor \(default\)/);
});

t.test('the egress guard fails a process that tries a non-loopback address', async (t) => {
  // 192.0.2.1 is TEST-NET-1: the guard throws before any packet is sent.
  const r = spawnSync(process.execPath, ['--require', GUARD, '-e', "require('net').connect(80, '192.0.2.1').on('error', () => {})"], { encoding: 'utf8' });
  t.not(r.status, 0);
  t.match(r.stderr, 'EGRESS-GUARD VIOLATION');
  const dns = spawnSync(process.execPath, ['--require', GUARD, '-e', "require('dns').lookup('example.com', () => {})"], { encoding: 'utf8' });
  t.not(dns.status, 0, 'a real DNS lookup of an outside name is refused too');
  const ok = spawnSync(process.execPath, ['--require', GUARD, '-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{require('net').connect(s.address().port,'127.0.0.1',()=>process.exit(0))})"], { encoding: 'utf8' });
  t.equal(ok.status, 0, 'loopback is fine');
});
