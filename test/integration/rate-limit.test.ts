import t from 'tap';
import * as cp from 'node:child_process';
import * as path from 'node:path';
import { start, untrusted } from '../../lib/index';
import { readEvents, tmpDir } from '../helpers/app';

const log = path.join(tmpDir(), 'events.log');
start({ mode: 'block', log, eventsPerSecond: 20 });

t.test('an attack flood is blocked every time but logged a bounded number of times', async (t) => {
  let blocked = 0;
  const t0 = Date.now();
  for (let i = 0; i < 2000; i++) {
    try {
      untrusted('query', { dir: `.;id #${i % 3 === 0 ? 'a' : 'b'}` }, () => cp.execSync(`ls .;id #${i % 3 === 0 ? 'a' : 'b'}`));
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_PALISADE_BLOCKED') blocked++;
    }
  }
  t.equal(blocked, 2000, 'every attack blocked');
  const lines = readEvents(log).filter((e) => e.kind === 'command_injection');
  // The bucket refills at 20/s, so the bound depends on how long the loop took (a slow CI machine logs more, never unboundedly).
  const bound = 20 * (1 + Math.ceil((Date.now() - t0) / 1000));
  t.ok(lines.length <= bound, `at most the burst plus refill is logged (${lines.length} <= ${bound})`);
  t.ok(lines.length >= 1);
  const heap = process.memoryUsage().heapUsed;
  const t1 = Date.now();
  for (let i = 0; i < 20000; i++) {
    try {
      untrusted('query', { ['k' + i]: `.;id ${i}` }, () => cp.execSync(`ls .;id ${i}`));
    } catch {
      /* blocked */
    }
  }
  const bound2 = bound + 20 * (1 + Math.ceil((Date.now() - t1) / 1000));
  t.ok(readEvents(log).length <= bound2, `distinct attacks are rate-limited too (<= ${bound2} of 22000)`);
  t.ok(process.memoryUsage().heapUsed - heap < 64 * 1024 * 1024, 'no unbounded growth');
});
