import t from 'tap';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { start, untrusted } from '../../lib/index';
import { __setFaultInjector, agentState } from '../../lib/agent';
import { readEvents, tmpDir } from '../helpers/app';

const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'block', log });

t.test('an internal fault is reported once and the call proceeds', async (t) => {
  __setFaultInjector(() => {
    throw new Error('forced fault for the fail-open test');
  });
  t.teardown(() => __setFaultInjector(undefined));
  const marker = path.join(dir, 'ran');
  // Even an attack proceeds: fail-open means Palisade's own bug never breaks the app.
  const out = untrusted('query', { dir: `x; touch ${marker}` }, () => cp.execSync(`echo x; touch ${marker}`).toString());
  t.equal(out, 'x\n');
  t.ok(fs.existsSync(marker), 'the original call ran');
  untrusted('query', { dir: 'y' }, () => cp.execSync('echo y'));
  const errors = readEvents(log).filter((e) => e.kind === 'internal_error');
  t.equal(errors.length, 1, 'reported once per site, not per call');
  t.match(errors[0], { action: 'error', reason: /forced fault.*|call proceeds/ });
});

t.test('fail-closed refuses the call instead', async (t) => {
  __setFaultInjector(() => {
    throw new Error('forced fault, closed');
  });
  t.teardown(() => {
    __setFaultInjector(undefined);
    agentState()!.config.failClosed = false;
  });
  agentState()!.config.failClosed = true;
  const marker = path.join(dir, 'closed');
  t.throws(() => untrusted('query', { dir: 'z' }, () => cp.execSync(`touch ${marker}`)), { code: 'ERR_PALISADE_BLOCKED' });
  t.notOk(fs.existsSync(marker));
});

t.test('a fault in a hook\'s own argument handling is fail-open too', async (t) => {
  // An argument whose toString throws makes the hook's operation builder fail.
  const evil = { toString(): string { throw new Error('hostile toString'); } };
  const err = untrusted('query', { dir: 'q' }, () => {
    try {
      cp.execFileSync(evil as unknown as string, ['a']);
      return undefined;
    } catch (e) {
      return e as Error;
    }
  });
  // Node itself rejects the argument: that is the app's normal behaviour, not Palisade's.
  t.notMatch(String(err && (err as { code?: string }).code), 'ERR_PALISADE_BLOCKED');
  t.ok(readEvents(log).some((e) => e.kind === 'internal_error' && /hostile toString/.test(e.reason)));
});
