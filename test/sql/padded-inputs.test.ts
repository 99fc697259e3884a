import t from 'tap';
import * as http from 'node:http';
import * as path from 'node:path';
import express from 'express';
import { start, isPalisadeBlockedError, untrusted } from '../../lib/index';
import { readEvents, request, tmpDir } from '../helpers/app';
import { listenAll, tracedTable } from '../helpers/traced-sqlite';

// Extraction reads a request within bounds (inputs, depth, a value's length: lib/taint/sources.ts), and an
// attacker who knows them pads past them: 600 fields or headers before the payload, the payload eleven levels
// deep, 20 KB of filler in front of it in one value. What the bounds leave out is still judged where a sink
// holds it (lib/taint/overflow.ts). Real SQLite file; its statement trace proves what ran.
const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'block', log });
const { trace, count, answer, verdict, close } = tracedTable(dir, 'pal_padded');
t.teardown(close);

/** The app's reading: a `name` field wherever the client put it (a generic walker), or an array's last item. */
function nameIn(v: unknown): string | undefined {
  if (Array.isArray(v)) return nameIn(v[v.length - 1]);
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? v : undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.name === 'string') return o.name;
  for (const k of Object.keys(o)) {
    const found = typeof o[k] === 'object' ? nameIn(o[k]) : undefined;
    if (found !== undefined) return found;
  }
  return undefined;
}

const plain = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => (body += d));
  req.on('end', () => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams.get('name');
    answer(res, () => count(query ?? (body === '' ? '' : (nameIn(JSON.parse(body)) ?? ''))));
  });
});
const app = express();
app.use(express.json({ limit: '1mb' }));
app.all('/count', (req, res) => {
  const query = req.query.name;
  answer(res, () => count(typeof query === 'string' ? query : (nameIn(req.body) ?? '')));
});
const framework = http.createServer(app);

t.before(() => listenAll(t, plain, framework));

const ATTACK = "x' OR 'a'='a";

function fieldsThen(n: number, name: string): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) o[`k${i}`] = i;
  o.name = name;
  return o;
}

function nested(levels: number, name: string): unknown {
  let v: unknown = { name };
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

function manyHeaders(n: number): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i < n; i++) h[`x-pad-${i}`] = `v${i}`;
  return h;
}

const query600 = Array.from({ length: 600 }, (_, i) => `k${i}=${i}`).join('&');

interface Case {
  name: string;
  body?: unknown;
  query?: string;
  headers?: Record<string, string>;
  blocked: boolean;
  count?: string;
}
const cases: Case[] = [
  { name: '600 fields, then the injection', body: fieldsThen(600, ATTACK), blocked: true },
  { name: 'an array of 600 numbers, then the injection', body: [...Array.from({ length: 600 }, (_, i) => i), ATTACK], blocked: true },
  { name: 'the injection eleven levels deep', body: nested(11, ATTACK), blocked: true },
  { name: '20 KB of filler in front of the injection, in one value', body: { name: 'a'.repeat(20_000) + ATTACK }, blocked: true },
  { name: '600 query keys, then the injection', query: `${query600}&name=${encodeURIComponent(ATTACK)}`, blocked: true },
  { name: '600 headers, then the injection in the body', headers: manyHeaders(600), body: { name: ATTACK }, blocked: true },
  { name: '600 fields, then a benign name', body: fieldsThen(600, 'alice'), blocked: false, count: '1' },
  { name: 'a benign name eleven levels deep', body: nested(11, "o''brien"), blocked: false, count: '1' },
  { name: '20 KB of a benign value', body: { name: 'b'.repeat(20_000) }, blocked: false, count: '0' },
];

for (const [label, server, route] of [['plain http', plain, '/'], ['express.json()', framework, '/count']] as const) {
  t.test(`${label}: what extraction's bounds leave out is judged where a sink holds it`, async (t) => {
    const port = (server.address() as { port: number }).port;
    for (const c of cases) {
      trace.length = 0;
      const headers: Record<string, string> = { ...c.headers };
      if (c.body !== undefined) headers['content-type'] = 'application/json';
      const r = await request(port, c.query === undefined ? route : `${route}?${c.query}`, {
        method: 'POST',
        headers,
        body: c.body === undefined ? undefined : JSON.stringify(c.body),
      });
      verdict(t, r, c, ATTACK);
    }
  });
}

t.test('an untrusted() scope (a queue message) padded past the bounds', async (t) => {
  trace.length = 0;
  let err: unknown;
  try {
    untrusted('queue.orders', fieldsThen(600, ATTACK), () => count(ATTACK));
  } catch (e) {
    err = e;
  }
  t.ok(isPalisadeBlockedError(err), 'blocked');
  t.notOk(trace.some((s) => s.includes(ATTACK)), 'the query never ran');
  t.equal(untrusted('queue.orders', fieldsThen(600, 'alice'), () => count('alice')), 1, 'a benign one runs');
});

t.test('the events name where the padded input sat', async (t) => {
  const sources = new Set(
    readEvents(log)
      .filter((e) => e.kind === 'sql_injection')
      .map((e) => (e.input as { source?: string } | undefined)?.source),
  );
  for (const s of ['body.name', 'body[600]', 'body.a.a.a.a.a.a.a.a.a.a.a.name', 'query.name']) t.ok(sources.has(s), s);
});
