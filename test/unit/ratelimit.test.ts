import t from 'tap';
import { RateLimiter } from '../../lib/report/ratelimit';

t.test('identical events are deduplicated within the window and counted', async (t) => {
  let now = 0;
  const rl = new RateLimiter({ perSecond: 100, windowMs: 1000, now: () => now });
  t.match(rl.admit('a'), { emit: true, repeats: 0 });
  for (let i = 0; i < 10; i++) t.match(rl.admit('a'), { emit: false });
  now = 1500;
  t.match(rl.admit('a'), { emit: true, repeats: 10 }, 'next emission carries the suppressed count');
});

t.test('token bucket caps distinct events; memory stays bounded', async (t) => {
  let now = 0;
  const rl = new RateLimiter({ perSecond: 5, maxKeys: 50, now: () => now });
  let emitted = 0;
  for (let i = 0; i < 10_000; i++) if (rl.admit(`k${i}`).emit) emitted++;
  t.equal(emitted, 5, 'only the burst passes in one instant');
  now = 1000;
  const a = rl.admit('fresh');
  t.equal(a.emit, true);
  t.equal(a.dropped, 9995, 'dropped events are counted on the next emission');
  for (let i = 0; i < 100_000; i++) {
    now += 1000;
    rl.admit(`x${i}`);
  }
  t.ok(rl.size <= 50, `dedupe map bounded (${rl.size})`);
});
