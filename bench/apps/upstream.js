'use strict';
// The loopback service the realistic route calls (never under Palisade).
const http = require('node:http');

const server = http.createServer((req, res) => {
  const body = JSON.stringify({ currency: new URL(req.url, 'http://x').searchParams.get('currency'), rate: 1.08 });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log('LISTENING ' + server.address().port);
});
