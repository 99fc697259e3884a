'use strict';
// Preload for bench/alloc-profile.sh: V8's sampling heap profiler, started by
// the first SIGUSR2 and stopped by the second, keeping the objects the
// collector has already freed, so the samples are what was allocated (not
// what is still alive). Writes the sampled bytes by script to BENCH_HEAP_PROFILE.
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const session = new inspector.Session();
session.connect();
const root = path.resolve(__dirname, '..', '..') + path.sep;
let running = false;
const byFunction = process.env.BENCH_HEAP_BY === 'function';

/** node_modules packages as nm:<name>, Node's own code as one row, the rest relative to the repository. */
function owner(url) {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) return `nm:${url.slice(nm + 14).split('/')[0]}`;
  if (url.startsWith('node:')) return 'node:*';
  if (url === '') return '(native)';
  return url.replace('file://', '').replace(root, '');
}

process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post(
      'HeapProfiler.startSampling',
      { samplingInterval: Number(process.env.BENCH_HEAP_INTERVAL || 256), includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true },
      () => console.log('SAMPLING'),
    );
    return;
  }
  session.post('HeapProfiler.stopSampling', (err, result) => {
    if (err) throw err;
    const bytes = {};
    const walk = (node) => {
      const f = node.callFrame;
      // BENCH_HEAP_BY=function: one row per allocating function (and line), to find which site to change.
      const o = byFunction ? `${owner(f.url)} ${f.functionName || '(anonymous)'}:${f.lineNumber + 1}` : owner(f.url);
      bytes[o] = (bytes[o] ?? 0) + node.selfSize;
      for (const c of node.children) walk(c);
    };
    walk(result.profile.head);
    fs.writeFileSync(process.env.BENCH_HEAP_PROFILE, JSON.stringify(bytes));
    console.log('PROFILE WRITTEN');
  });
});
