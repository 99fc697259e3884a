'use strict';
// Start-up probe for bench/startup.ts: loads what the express bench app loads
// (express, pg), builds an app and listens, then reports how long that took
// from the process's start and what the process holds once it is idle, then
// waits for the runner (which reads /proc from outside: a strict policy does
// not let the app read it) to stop it. Run bare or under
// `--require palisade/register` like the other apps.
const { performance } = require('node:perf_hooks');
// Preloads have run by now: what follows is the app's own loading (which Palisade's module hooks see).
const appStartMs = performance.now();
const v8 = require('node:v8');
const express = require('express');
const { Pool } = require('pg');

const app = express();
app.get('/empty', (req, res) => res.send('ok'));
app.post('/order', express.json(), (req, res) => res.json(req.body));
// Not connected: a pool only opens connections on its first query.
const pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 1 });

const server = app.listen(0, '127.0.0.1', () => {
  const readyMs = performance.now();
  server.close();
  void pool.end();
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  process.stdout.write(
    'STARTUP ' +
      JSON.stringify({
        appStartMs,
        readyMs,
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        newSpace: newSpace ? newSpace.space_size : 0,
        modules: Object.keys(require.cache).length,
      }) +
      '\n',
  );
  process.on('SIGTERM', () => process.exit(0));
  setInterval(() => {}, 60_000);
});
