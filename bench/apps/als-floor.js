'use strict';
// Preload for the "ALS floor" configuration: what any request-scoped agent
// pays on Node 20 before doing anything — each request runs inside an
// AsyncLocalStorage scope, so every async resource and promise it creates
// goes through the async_hooks init path. No hooks, no taint, no policy.
const http = require('node:http');
const { AsyncLocalStorage } = require('node:async_hooks');

const storage = new AsyncLocalStorage();
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event !== 'request') return emit.apply(this, arguments);
  return storage.run({ req, res }, () => emit.apply(this, arguments));
};
