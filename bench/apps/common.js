'use strict';
// Shared by the bench apps: the memory/gc endpoints the runner reads, and a
// tiny keep-alive JSON GET for the loopback service.

const v8 = require('node:v8');
const { tickNs } = require('./tick-cost');

const agents = new WeakMap();

function getJson(http, port, pathname) {
  let agent = agents.get(http);
  if (!agent) agents.set(http, (agent = new http.Agent({ keepAlive: true, maxSockets: 16 })));
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
  });
}

/**
 * Memory and CPU time as the runner wants them; `?gc=1` collects first (the
 * app runs with --expose-gc). CPU time per request is the figure that holds
 * on a loaded machine, where req/s mostly measures the scheduler.
 */
function memory(url) {
  if (url.includes('gc=1') && typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
  const cpu = process.cpuUsage();
  // The young generation's reserved size: V8 doubles it (on Node 24, 32 -> 64 MB) once enough bytes
  // have survived its collections, which a busy app reaches sooner or later. RSS read before and
  // after that step differs by it, whatever else the process holds (docs/performance.md, RSS).
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  const out = { ...process.memoryUsage(), cpuMicros: cpu.user + cpu.system, newSpace: young ? young.space_size : 0 };
  if (url.includes('tick=1')) out.tickNs = tickNs();
  return JSON.stringify(out);
}

/** Express-style app (express.get) or a plain handler chain: add GET /__mem. */
function diagnostics(app) {
  app.get('/__mem', (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(memory(req.url));
  });
}

module.exports = { getJson, memory, diagnostics };

// Exit through process.exit so `node --cpu-prof` writes its profile when the runner stops the app.
process.on('SIGTERM', () => process.exit(0));
