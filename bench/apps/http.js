'use strict';
// Plain node:http macro benchmark app: the empty route.
const http = require('node:http');
const { memory } = require('./common');

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/__mem')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(memory(req.url));
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('ok');
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log('LISTENING ' + server.address().port);
});
