'use strict';
// The express macro benchmark app. Run bare (`node bench/apps/express.js`) or
// under `--require palisade/register`; the runner only changes the preload
// and the environment. BENCH_PG_TABLE enables the realistic route (the runner
// creates the table); BENCH_UPSTREAM_PORT is the loopback service it calls.
const express = require('express');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { execFile } = require('node:child_process');
const common = require('./common');

const app = express();
app.get('/empty', (req, res) => res.send('ok'));
app.get('/spawn', (req, res, next) => {
  execFile('/bin/echo', [String(req.query.name || 'x')], (err, stdout) => (err ? next(err) : res.send(stdout)));
});

const table = process.env.BENCH_PG_TABLE;
if (table) {
  const { Pool } = require('pg');
  const pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 8 });
  const upstream = Number(process.env.BENCH_UPSTREAM_PORT);
  const template = path.join(__dirname, 'data', 'receipt.txt');
  // A typical handler: validate a little, read a template, one parameterised
  // query, one query built with a value the app checked, one call to another
  // service, then answer.
  app.post('/order', express.json(), async (req, res, next) => {
    try {
      const b = req.body;
      if (typeof b.email !== 'string' || !/^[a-z]+$/.test(b.team)) return res.status(400).end();
      const text = await fs.promises.readFile(template, 'utf8');
      const user = await pool.query(`SELECT id, name, email FROM ${table} WHERE email = $1 AND status = $2`, [b.email, b.status]);
      const team = await pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE team = '${b.team}'`);
      const rate = await common.getJson(http, upstream, `/rates?currency=${encodeURIComponent(b.currency)}`);
      res.json({ id: user.rows[0] && user.rows[0].id, team: team.rows[0].n, rate: rate.rate, receipt: text.length });
    } catch (err) {
      next(err);
    }
  });
}
common.diagnostics(app);
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log('LISTENING ' + server.address().port);
});
