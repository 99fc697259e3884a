'use strict';
// Test-wide egress guard, preloaded into every tap test process (package.json
// "tap.node-arg") and into every app a test spawns (test/helpers/app.ts).
// Tests may only talk to loopback. Any socket that tries another address, and
// any DNS lookup of a name the test did not stub, fails the process loudly:
// a detection bug must never turn into real traffic to a private, metadata or
// public address.
const net = require('node:net');
const dns = require('node:dns');

const MARK = 'EGRESS-GUARD VIOLATION';
const stubs = new Map();
for (const pair of (process.env.EGRESS_DNS_STUB || '').split(',')) {
  const [name, addr] = pair.split('=');
  if (name && addr) stubs.set(name.trim().toLowerCase(), addr.trim());
}

function isLoopback(address) {
  if (typeof address !== 'string') return false;
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (a === '::1' || a === 'localhost') return true;
  if (a.startsWith('::ffff:')) return isLoopback(a.slice(7));
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  return m !== null && m[1] === '127';
}

function violation(what) {
  const err = new Error(`${MARK}: ${what}`);
  process.exitCode = 1;
  process.stderr.write(`${MARK}: ${what}\n${err.stack}\n`);
  violations.push(what);
  return err;
}
const violations = [];
process.on('exit', () => {
  if (violations.length > 0) {
    process.exitCode = 1;
    process.stderr.write(`${MARK}: ${violations.length} non-loopback attempt(s): ${violations.join('; ')}\n`);
  }
});

// Resolve stubbed names ourselves; refuse real lookups of anything but
// localhost so a test never even asks a resolver about an outside name.
const realLookup = dns.lookup;
function guardedLookup(hostname, options, callback) {
  if (typeof options === 'function') { callback = options; options = {}; }
  if (typeof options === 'number') options = { family: options };
  options = options || {};
  const name = String(hostname).toLowerCase();
  const stubbed = stubs.get(name);
  if (stubbed !== undefined) {
    const family = stubbed.includes(':') ? 6 : 4;
    process.nextTick(() => {
      if (options.all) callback(null, [{ address: stubbed, family }]);
      else callback(null, stubbed, family);
    });
    return {};
  }
  if (name === 'localhost' || net.isIP(name) !== 0) return realLookup.call(dns, hostname, options, callback);
  const err = violation(`DNS lookup of non-stubbed name ${hostname}`);
  process.nextTick(() => callback(Object.assign(err, { code: 'ENOTFOUND' })));
  return {};
}
dns.lookup = guardedLookup;
dns.promises.lookup = (hostname, options) => new Promise((resolve, reject) => {
  guardedLookup(hostname, options, (err, address, family) => {
    if (err) reject(err); else resolve(Array.isArray(address) ? address : { address, family });
  });
});

/** Let a test inject DNS answers at run time (e.g. a name that resolves to 169.254.169.254). */
function stubDns(map) {
  for (const [k, v] of Object.entries(map)) stubs.set(k.toLowerCase(), v);
}

const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  let opts = args[0];
  if (Array.isArray(opts)) opts = opts[0];
  let host, port, path;
  if (opts !== null && typeof opts === 'object') { host = opts.host; port = opts.port; path = opts.path; }
  else if (typeof opts === 'number' || (typeof opts === 'string' && /^\d+$/.test(opts))) { port = opts; host = typeof args[1] === 'string' ? args[1] : undefined; }
  else if (typeof opts === 'string') path = opts;
  if (path === undefined) {
    if (host === undefined || host === '') host = 'localhost';
    if (net.isIP(String(host).replace(/^\[|\]$/g, '')) !== 0 && !isLoopback(host)) {
      throw violation(`socket connect to ${host}:${port}`);
    }
    // Names are checked after lookup: wrap the lookup so the resolved address is judged.
    if (net.isIP(String(host).replace(/^\[|\]$/g, '')) === 0 && opts !== null && typeof opts === 'object') {
      const lookup = opts.lookup || dns.lookup;
      const checked = (h, o, cb) => lookup(h, o, (err, address, family) => {
        if (!err) {
          const list = Array.isArray(address) ? address.map((x) => x.address) : [address];
          const bad = list.find((a) => !isLoopback(a));
          if (bad !== undefined) { cb(violation(`socket connect to ${h} resolved to ${bad}`)); return; }
        }
        cb(err, address, family);
      });
      args[0] = Object.assign({}, opts, { lookup: checked });
    }
  }
  return realConnect.apply(this, args);
};

module.exports = { stubDns, isLoopback, violations, MARK };
