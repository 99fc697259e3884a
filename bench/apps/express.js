'use strict';
// The macro benchmark app. Run bare (`node bench/apps/express.js`) or under
// `--require palisade/register`; the runner only changes the preload and env.
const express = require('express');
const { execFile } = require('node:child_process');

const app = express();
app.get('/empty', (req, res) => res.send('ok'));
app.get('/spawn', (req, res, next) => {
  execFile('/bin/echo', [String(req.query.name || 'x')], (err, stdout) => (err ? next(err) : res.send(stdout)));
});
app.get('/__rss', (req, res) => res.json(process.memoryUsage()));
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log('LISTENING ' + server.address().port);
});
