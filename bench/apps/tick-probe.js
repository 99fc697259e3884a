'use strict';
// Preload for any app: on SIGUSR2, print "PROBE ns/nextTick N", the cost of
// queueing one process.nextTick in this process (tick-cost.js). It tells in
// seconds, rather than a callgrind run, whether Node's own nextTick has fallen
// onto its slow path (sessions 16 and 17: a full collection with no tick
// object alive frees the tick-object literal's map; Palisade keeps one alive,
// lib/context.ts, bare apps can still fall onto it). The bench apps report the
// same figure in the macro table (`nextTick ns`).
//   node --require ./bench/apps/tick-probe.js --require ./dist/lib/register.js bench/apps/fastify.js
//   (load it, then: kill -USR2 <pid>)
const { tickNs } = require('./tick-cost');
process.on('SIGUSR2', () => console.log('PROBE ns/nextTick', tickNs().toFixed(1)));
