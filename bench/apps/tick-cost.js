'use strict';
// ns per process.nextTick call, timed synchronously (the calls only queue, and
// the tick-object literal they build is where the slow path costs): whether
// this process's nextTick has fallen onto V8's slow path, where the literal
// stores every key through the runtime (docs/performance.md, sessions 16 and
// 17). Used by the bench apps' /__mem?tick=1 (common.js) and by the SIGUSR2
// probe for any app (tick-probe.js). Session 17, Node 20, fastify and plain
// http: bare 41-118 ns, Palisade 111-170 (its async hooks add to each call),
// bare pushed onto the slow path by forced GCs 261-439, session 16's build on
// it 374-682. 2 000 calls a batch: 20 000 queued tick objects cost a scavenge
// that then dominated the figure.

function noop() {}

function tickNs() {
  const n = 2000;
  // The least of three batches: a scavenge inside one batch multiplies its figure (2 621 ns once, against 119-152).
  let best = Infinity;
  for (let b = 0; b < 3; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) process.nextTick(noop);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
}

module.exports = { tickNs };
