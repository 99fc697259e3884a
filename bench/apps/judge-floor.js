'use strict';
// Preload for the "judging floor" configuration (bench/instructions.sh judge-floor): not Palisade. The ALS floor
// (als-floor.js) plus a plain, minimal judge by taint on the realistic route, so that a target can be weighed
// against what judging in Palisade's shape (every input, at every sink) costs when it does almost nothing, not
// only against Palisade's own figures. Per request: each string of the path, query, headers and JSON body (keys
// too) read once into a flat array, at the first sink. Per sink call (the template read, each pg query, the
// upstream call): the text's character pairs are indexed, and an input is searched for only when its first and
// last pairs are among them (JUDGE_FLOOR=naive: every input searched for). No decoded forms, no character classes,
// no grammar, no policy, no report: it finds inputs in a sink's text and does nothing with them.
const http = require('node:http');
const fs = require('node:fs');
const { AsyncLocalStorage } = require('node:async_hooks');

const storage = new AsyncLocalStorage();
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event !== 'request') return emit.apply(this, arguments);
  return storage.run({ req, res, inputs: undefined, found: 0 }, () => emit.apply(this, arguments));
};

function strings(v, out, depth) {
  if (typeof v === 'string') {
    if (v.length > 0) out.push(v);
  } else if (typeof v === 'number') out.push(String(v));
  else if (Array.isArray(v)) {
    if (depth < 8) for (let i = 0; i < v.length; i++) strings(v[i], out, depth + 1);
  } else if (v !== null && typeof v === 'object' && depth < 8) {
    for (const k of Object.keys(v)) {
      if (k.length > 1) out.push(k);
      strings(v[k], out, depth + 1);
    }
  }
}

function inputsOf(scope) {
  if (scope.inputs !== undefined) return scope.inputs;
  const req = scope.req;
  const out = [];
  const url = req.url || '/';
  const q = url.indexOf('?');
  out.push(q === -1 ? url : url.slice(0, q));
  if (q !== -1) for (const [k, v] of new URLSearchParams(url.slice(q + 1))) out.push(k, v);
  const h = req.headers;
  for (const name of Object.keys(h)) strings(h[name], out, 1);
  strings(req.body, out, 0);
  // Read again if a body parser runs after the first sink: this route parses before any.
  if (req.body !== undefined) scope.inputs = out;
  return out;
}

const naive = process.env.JUDGE_FLOOR === 'naive';
// The sink's character pairs, as a 4096-bit filter: an input whose first or last pair is not among them does not
// occur in the text, and is not searched for.
const pairs = new Int32Array(128);
function pairBit(a, b) {
  return ((a << 5) ^ b) & 4095;
}
function hasPair(a, b) {
  const h = pairBit(a, b);
  return (pairs[h >> 5] & (1 << (h & 31))) !== 0;
}

function judge(text) {
  const scope = storage.getStore();
  if (scope === undefined || typeof text !== 'string') return;
  const inputs = inputsOf(scope);
  if (naive) {
    for (let i = 0; i < inputs.length; i++) if (text.indexOf(inputs[i]) !== -1) scope.found++;
    return;
  }
  pairs.fill(0);
  for (let i = 1; i < text.length; i++) {
    const h = pairBit(text.charCodeAt(i - 1), text.charCodeAt(i));
    pairs[h >> 5] |= 1 << (h & 31);
  }
  for (let i = 0; i < inputs.length; i++) {
    const v = inputs[i];
    const n = v.length;
    if (n > text.length) continue;
    if (n >= 2 && !(hasPair(v.charCodeAt(0), v.charCodeAt(1)) && hasPair(v.charCodeAt(n - 2), v.charCodeAt(n - 1)))) continue;
    if (text.indexOf(v) !== -1) scope.found++;
  }
}

const readFile = fs.promises.readFile;
fs.promises.readFile = function (path) {
  judge(typeof path === 'string' ? path : undefined);
  return readFile.apply(this, arguments);
};

const { Client } = require('pg');
const query = Client.prototype.query;
Client.prototype.query = function (config) {
  judge(typeof config === 'string' ? config : config && config.text);
  return query.apply(this, arguments);
};

const get = http.get;
http.get = function (options) {
  if (options !== null && typeof options === 'object' && !(options instanceof URL)) {
    judge(options.host);
    judge(options.path);
  } else judge(String(options));
  return get.apply(this, arguments);
};
