'use strict';
// One sink's entry point called in a loop by the app, for bench/call-instructions.sh: WARM calls, then
// "ZERO" (the runner zeroes callgrind's counters), N calls, then "DUMP". CALL picks the entry point.
const fs = require('node:fs');
const path = require('node:path');
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const SQL = 'SELECT 1 AS n';

function entryPoint(name) {
  if (name === 'mysql2-pool') {
    const pool = require('mysql2').createPool({
      host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test', connectionLimit: 2,
    });
    const call = () => new Promise((res, rej) => pool.query(SQL, (e, r) => (e ? rej(e) : res(r))));
    return { call, end: () => pool.end() };
  }
  if (name === 'pg-pool') {
    const { Pool } = require('pg');
    const pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 2 });
    return { call: () => pool.query(SQL), end: () => pool.end() };
  }
  if (name === 'better-sqlite3') {
    const db = new (require('better-sqlite3'))(':memory:');
    return { call: () => db.prepare(SQL).get(), end: () => db.close() };
  }
  // The file the realistic bench route reads; judged under bench/policies/app-calls.yaml's fs.read allow.
  const file = path.join(__dirname, 'data', 'receipt.txt');
  if (name === 'fs-readfilesync') return { call: () => fs.readFileSync(file, 'utf8'), end: () => undefined };
  if (name === 'fs-statsync') return { call: () => fs.statSync(file), end: () => undefined };
  if (name === 'fs-promises') return { call: () => fs.promises.readFile(file, 'utf8'), end: () => undefined };
  throw new Error(`unknown CALL ${name}`);
}

(async () => {
  const { call, end } = entryPoint(process.env.CALL);
  for (let i = 0; i < Number(process.env.WARM); i++) await call();
  console.log('ZERO');
  await pause(2000);
  for (let i = 0; i < Number(process.env.N); i++) await call();
  console.log('DUMP');
  await pause(2000);
  await end();
})();
