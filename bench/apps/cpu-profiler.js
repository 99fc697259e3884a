'use strict';
// Preload for bench/cpu-profile.sh: V8's sampling CPU profiler of the main
// thread, started by the first SIGUSR2 and stopped (profile written to
// BENCH_CPU_PROFILE) by the second, so warm-up and shutdown stay out of it.
const inspector = require('node:inspector');
const fs = require('node:fs');

const session = new inspector.Session();
session.connect();
const interval = Number(process.env.BENCH_CPU_INTERVAL_US || 50);
let running = false;
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval }, () => session.post('Profiler.start', () => console.log('PROFILING'))),
    );
    return;
  }
  session.post('Profiler.stop', (err, result) => {
    if (err) throw err;
    fs.writeFileSync(process.env.BENCH_CPU_PROFILE, JSON.stringify(result.profile));
    console.log('PROFILE WRITTEN');
  });
});
