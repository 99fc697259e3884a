'use strict';
// The memory benchmark app: an express app with a mix of routes, some of
// which the runner attacks (SQL injection, path traversal). Blocked calls
// answer 403 through express's error handler; bare, the same requests run.
const express = require('express');
const fs = require('node:fs');
const path = require('node:path');
const Database = require('better-sqlite3');
const { diagnostics } = require('./common');

const db = new Database(':memory:');
db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, team TEXT)');
const insert = db.prepare('INSERT INTO users (name, email, team) VALUES (?, ?, ?)');
for (let i = 0; i < 200; i++) insert.run(`user${i}`, `user${i}@example.com`, ['platform', 'data', 'growth'][i % 3]);
const dataDir = path.join(__dirname, 'data');
const byEmail = db.prepare('SELECT id, name FROM users WHERE email = ?');

const app = express();
app.get('/empty', (req, res) => res.send('ok'));
app.get('/search', (req, res) => {
  // String-built on purpose: the attack requests inject here.
  const rows = db.prepare(`SELECT id, name FROM users WHERE team = '${req.query.team}' LIMIT 5`).all();
  res.json(rows);
});
app.get('/file', (req, res) => {
  try {
    res.send(String(fs.readFileSync(path.join(dataDir, String(req.query.name))).length));
  } catch (err) {
    if (err.code === 'ERR_PALISADE_BLOCKED') throw err;
    res.status(404).end();
  }
});
app.post('/order', express.json(), (req, res) => {
  const user = byEmail.get(req.body.email);
  const text = fs.readFileSync(path.join(dataDir, 'receipt.txt'), 'utf8');
  res.json({ id: user ? user.id : null, receipt: text.length, items: req.body.items.length });
});
diagnostics(app);
app.use((err, req, res, next) => res.status(err.statusCode || 500).json({ error: err.code || 'error' }));
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log('LISTENING ' + server.address().port);
});
