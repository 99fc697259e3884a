'use strict';
// Shared by the bench apps: the memory/gc endpoints the runner reads, and a
// tiny keep-alive JSON GET for the loopback service.

const v8 = require('node:v8');

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

function noop() {}

/**
 * ns per process.nextTick call, timed synchronously (the calls only queue):
 * whether this process's nextTick has fallen onto V8's slow path, where its
 * tick-object literal stores every key through the runtime (docs/performance.md,
 * sessions 16 and 17). Bare apps can fall onto it too, and a ratio against a
 * slow bare flatters the configuration. Session 17, Node 20, fastify and
 * plain http: bare 41-118 ns, Palisade 111-170 (its async hooks add to each
 * call), bare pushed onto the slow path by forced GCs 266-439, session 16's
 * build on it 374-682. 2 000 calls a batch: 20 000 queued tick objects cost a
 * scavenge that then dominated the figure.
 */
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
