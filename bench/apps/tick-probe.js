'use strict';
// Preload for a bench app: on SIGUSR2, time 200 000 process.nextTick calls
// (in batches of 1 000, drained between) and print "PROBE ns/nextTick N".
// Session 16 used it to tell, in seconds rather than a callgrind run, whether
// Node's own nextTick has fallen onto its slow path in an app process (its
// tick-object literal stored through the runtime on every call): after the
// same load, ~300 ns in one process against ~110 ns in another.
// Session 17 found the cause (a full collection with no tick object alive frees
// the literal's map) and Palisade now keeps one alive (lib/context.ts).
//   node --require ./bench/apps/tick-probe.js --require ./dist/lib/register.js bench/apps/fastify.js
//   (load it, then: kill -USR2 <pid>, twice; the second figure is the steady one)
function noop() {}
function probe() {
  const N = 200000;
  let n = 0;
  const t0 = process.hrtime.bigint();
  (function batch() {
    for (let i = 0; i < 1000; i++) process.nextTick(noop);
    n += 1000;
    if (n < N) setImmediate(batch);
    else console.log('PROBE ns/nextTick', (Number(process.hrtime.bigint() - t0) / N).toFixed(1));
  })();
}
process.on('SIGUSR2', probe);
