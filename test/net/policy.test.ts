import t from 'tap';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { start, PalisadeBlockedError } from '../../lib/index';
import { readEvents, tmpDir } from '../helpers/app';
import { startBackends, type Backends } from './helpers';

// Policy rules on net.connect through the outgoing-HTTP hooks, with no
// request in scope: host rules are decided at call time (before any lookup),
// CIDR rules by the address actually connected (after the socket's lookup).

const dir = tmpDir();
const log = path.join(dir, 'events.log');
const policy = path.join(dir, 'palisade.yaml');
fs.writeFileSync(policy, [
  'version: 1',
  'mode: block',
  'allow:',
  '  net.connect:',
  '    - { id: loopback, cidr: 127.0.0.0/8 }',
  '    - { id: loopback6, cidr: "::1/128" }',
  'deny:',
  '  net.connect:',
  '    - { id: no-evil, host: evil.test }',
  '',
].join('\n'));
start({ mode: 'block', log, policy });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stubDns } = require('../helpers/egress-guard.js') as { stubDns(m: Record<string, string>): void };
// evil.test is deliberately not stubbed: a lookup of it would be a guard violation.
stubDns({ 'loop.test': '127.0.0.1', 'internal.test': '10.0.0.5' });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const undici = require('undici') as typeof import('undici');

let b: Backends;
t.before(async () => {
  b = await startBackends(dir);
});
t.teardown(() => b.close());

const isPolicyBlock = (e: unknown): boolean => e instanceof PalisadeBlockedError && e.kind === 'policy_violation';
const settle = <T>(p: Promise<T>): Promise<unknown> => p.then(() => 'ok', (e: unknown) => e);

t.test('CIDR allow list: names are decided by the address they resolve to', async (t) => {
  for (const host of ['127.0.0.1', 'localhost', 'loop.test']) {
    const r = await fetch(`http://${host}:${b.port}/`);
    t.equal(r.status, 200, `${host}: allowed (resolves into 127.0.0.0/8)`);
    await r.text();
  }
  const body = await new Promise<string>((resolve, reject) => {
    http.get(`http://loop.test:${b.port}/`, (res) => { let s = ''; res.on('data', (d) => (s += d)); res.on('end', () => resolve(s)); }).on('error', reject);
  });
  t.equal(body, 'backend', 'http.get to a name inside the allow list');
  for (const [label, run] of [
    ['fetch', () => settle(fetch('http://internal.test/'))],
    ['undici', () => settle(undici.request('http://internal.test/'))],
    ['net', () => new Promise((resolve) => net.connect(80, 'internal.test').on('error', resolve).on('connect', () => resolve('connected')))],
  ] as const) {
    t.ok(isPolicyBlock(await run()), `${label}: a name resolving outside the allow list is refused before connecting`);
  }
  t.ok(isPolicyBlock(await settle(fetch('http://10.0.0.5/'))), 'a literal outside the allow list: refused at call time');
  const ev = readEvents(log).find((e) => e.kind === 'policy_violation' && e.resource?.host === 'internal.test');
  t.match(ev, { action: 'block', operation: 'net.connect', resource: { address: '10.0.0.5' } });
});

t.test('host deny rule: refused at call time, before any DNS lookup', async (t) => {
  t.ok(isPolicyBlock(await settle(fetch('http://evil.test/x'))), 'fetch');
  t.ok(isPolicyBlock(await settle(undici.request('http://evil.test/x'))), 'undici');
  const err = await new Promise((resolve) => http.get('http://evil.test/x').on('error', resolve));
  t.ok(isPolicyBlock(err), 'http.get');
  const ev = readEvents(log).find((e) => e.resource?.host === 'evil.test');
  t.match(ev, { kind: 'policy_violation', rule: /no-evil/ });
});
