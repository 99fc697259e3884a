import t from 'tap';
import * as http from 'node:http';
import * as path from 'node:path';
import express from 'express';
import { start } from '../../lib/index';
import { readEvents, request, tmpDir } from '../helpers/app';
import { listenAll, tracedTable } from '../helpers/traced-sqlite';

// A value that is JSON text, as sent (`?filter={...}`) or once decoded (a base64url pagination cursor, a JSON
// string holding JSON): the app parses it and reads its fields, so they are inputs too (lib/taint/sources.ts,
// InputList.add), past extraction's bounds included (lib/taint/overflow.ts). Real express; a real SQLite file
// whose trace proves what ran.
const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'block', log });
const { trace, count, answer, verdict, close } = tracedTable(dir, 'pal_json_values');
t.teardown(close);

const app = express();
app.use(express.json({ limit: '1mb' }));
// The app's readings: a cursor in base64url JSON, a filter in JSON, a body field holding JSON text.
app.get('/cursor', (req, res) => answer(res, () => count(String((JSON.parse(Buffer.from(String(req.query.c), 'base64url').toString()) as { after?: unknown }).after))));
app.get('/filter', (req, res) => answer(res, () => count(String((JSON.parse(String(req.query.f)) as { name?: unknown }).name))));
app.post('/payload', (req, res) => answer(res, () => count(String((JSON.parse(String((req.body as { data?: unknown }).data)) as { name?: unknown }).name))));
const server = http.createServer(app);
t.before(() => listenAll(t, server));

const ATTACK = "x' OR 'a'='a";
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const padded = (data: string): Record<string, unknown> => {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < 600; i++) o[`k${i}`] = i;
  return { ...o, data };
};

const cases: Array<{ name: string; path: string; body?: unknown; blocked: boolean; count?: string }> = [
  { name: 'a base64url cursor, injection', path: `/cursor?c=${b64({ after: ATTACK, n: 5 })}`, blocked: true },
  { name: 'a base64url cursor, benign', path: `/cursor?c=${b64({ after: 'alice', n: 5 })}`, blocked: false, count: '1' },
  { name: 'a JSON filter in the query, injection', path: `/filter?f=${encodeURIComponent(JSON.stringify({ name: ATTACK }))}`, blocked: true },
  { name: 'a JSON filter in the query, benign', path: `/filter?f=${encodeURIComponent(JSON.stringify({ name: 'bob' }))}`, blocked: false, count: '1' },
  { name: 'JSON text in a body field, injection', path: '/payload', body: { data: JSON.stringify({ name: ATTACK }) }, blocked: true },
  { name: 'JSON text in a body field after 600 fields, injection', path: '/payload', body: padded(JSON.stringify({ name: ATTACK })), blocked: true },
  { name: 'JSON text in a body field after 600 fields, benign', path: '/payload', body: padded(JSON.stringify({ name: "o''brien" })), blocked: false, count: '1' },
];

t.test('fields of JSON text in a value are inputs', async (t) => {
  const port = (server.address() as { port: number }).port;
  for (const c of cases) {
    trace.length = 0;
    const r = await request(port, c.path, c.body === undefined ? {} : {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(c.body),
    });
    verdict(t, r, c, ATTACK);
  }
});

t.test('the events name the field and the decoding', async (t) => {
  const inputs = readEvents(log).filter((e) => e.kind === 'sql_injection').map((e) => e.input as { source: string; decoding: string[] });
  t.ok(inputs.some((i) => i.source === 'query.c.after' && i.decoding.join() === 'base64,json-field'), 'query.c.after, base64 then json-field');
  t.ok(inputs.some((i) => i.source === 'query.f.name' && i.decoding.join() === 'json-field'), 'query.f.name, json-field');
  t.ok(inputs.some((i) => i.source === 'body.data.name'), 'body.data.name');
});
