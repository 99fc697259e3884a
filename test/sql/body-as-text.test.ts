import t from 'tap';
import * as http from 'node:http';
import * as path from 'node:path';
import express from 'express';
import { start } from '../../lib/index';
import { readEvents, request, tmpDir } from '../helpers/app';
import { listenAll, tracedTable } from '../helpers/traced-sqlite';

// The client chooses a body's content type, and an app need not ask it: a plain-http app that JSON.parses (or
// form-decodes) whatever arrives, or an express app that parses express.text()'s string itself, reads the
// client's fields from a body sent as text/plain. Those fields are inputs as they would be under the declared
// type (lib/taint/sources.ts, addBodyText). Real SQLite file; its statement trace proves what ran.
const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'block', log });
const { trace, count, answer, verdict, close } = tracedTable(dir, 'pal_text_body');
t.teardown(close);

/** The app's own reading of a body: JSON when it parses, else form fields. */
function nameOf(text: string): string {
  try {
    return String((JSON.parse(text) as { name?: unknown }).name);
  } catch {
    return new URLSearchParams(text).get('name') ?? '';
  }
}

const plain = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => (body += d));
  req.on('end', () => answer(res, () => count(nameOf(body))));
});
const app = express();
app.post('/count', express.text({ type: '*/*' }), (req, res) => answer(res, () => count(nameOf(req.body as string))));
const framework = http.createServer(app);

t.before(() => listenAll(t, plain, framework));

const ATTACK = "x' OR 'a'='a";
// `plainOnly`: express.text() leaves a body with no content type unparsed, so that app never reads it.
const cases: Array<{ name: string; type: string; body: string; blocked: boolean; count?: string; plainOnly?: boolean }> = [
  { name: 'JSON sent as text/plain, injection', type: 'text/plain', body: JSON.stringify({ name: ATTACK }), blocked: true },
  { name: 'JSON with no content type, injection', type: '', body: ` \n${JSON.stringify({ name: ATTACK })}`, blocked: true, plainOnly: true },
  { name: 'form fields sent as text/plain, injection', type: 'text/plain', body: `n=1&name=${encodeURIComponent(ATTACK)}`, blocked: true },
  { name: 'JSON as application/json, injection', type: 'application/json', body: JSON.stringify({ name: ATTACK }), blocked: true },
  { name: 'JSON sent as text/plain, benign', type: 'text/plain', body: JSON.stringify({ name: 'alice' }), blocked: false, count: '1' },
  { name: "JSON sent as text/plain, benign look-alike (OR, no quote)", type: 'text/plain', body: JSON.stringify({ name: 'x OR a=a' }), blocked: false, count: '0' },
  { name: 'form fields sent as text/plain, benign', type: 'text/plain', body: 'n=1&name=bob', blocked: false, count: '1' },
];

for (const [label, server, route] of [['plain http', plain, '/'], ['express.text()', framework, '/count']] as const) {
  t.test(`${label}: a body's fields are inputs whatever its declared type`, async (t) => {
    const port = (server.address() as { port: number }).port;
    for (const c of cases) {
      if (c.plainOnly === true && server !== plain) continue;
      trace.length = 0;
      const headers: Record<string, string> = c.type === '' ? {} : { 'content-type': c.type };
      const r = await request(port, route, { method: 'POST', headers, body: c.body });
      verdict(t, r, c, ATTACK);
    }
  });
}

t.test('the events name the field, as under a declared type', async (t) => {
  // Repeats of one input and rule are deduplicated into one event.
  const events = readEvents(log).filter((e) => e.kind === 'sql_injection');
  t.ok(events.length >= 1, `${events.length} sql_injection events`);
  t.ok(events.every((e) => (e.input as { source?: string } | undefined)?.source === 'body.name'), 'each from body.name');
});
