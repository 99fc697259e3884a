import t from 'tap';
import * as path from 'node:path';
import Fastify from 'fastify';
import { start } from '../../lib/index';
import { readEvents, request, tmpDir } from '../helpers/app';
import { tracedTable } from '../helpers/traced-sqlite';

// A multipart form's fields are inputs where the app's parser hands them out of band: @fastify/multipart's
// request.file() gives them on the file (data.fields), not in request.body, and busboy on plain http the same
// way. Palisade reads them from the raw body (lib/taint/sources.ts, addMultipart). Real fastify and
// @fastify/multipart; a real SQLite file whose trace proves what ran.
const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'block', log });
const { trace, count, verdict, close } = tracedTable(dir, 'pal_multipart');
t.teardown(close);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const multipart = require('@fastify/multipart') as Parameters<ReturnType<typeof Fastify>['register']>[0];
const app = Fastify();
void app.register(multipart);
interface Field {
  value?: unknown;
}
app.post('/note', async (req, reply) => {
  const data = await (req as unknown as { file(): Promise<{ fields: Record<string, Field>; filename: string; toBuffer(): Promise<Buffer> }> }).file();
  await data.toBuffer();
  // The app counts rows by the name field, or by the uploaded file's name when asked to.
  const byFile = data.fields.by?.value === 'filename';
  const name = byFile ? data.filename : String(data.fields.name?.value ?? '');
  try {
    return String(count(name));
  } catch (err) {
    reply.code((err as { code?: string }).code === 'ERR_PALISADE_BLOCKED' ? 403 : 500);
    return 'refused';
  }
});
t.before(() => app.listen({ port: 0, host: '127.0.0.1' }));
t.teardown(() => app.close());

const ATTACK = "x' OR 'a'='a";
const BOUNDARY = '----palisade7MA4YWxkTrZu0gW';

/** A multipart body as a browser sends it; `filenameStar` writes the file's name in RFC 5987's form. */
function form(fields: Record<string, string>, file: { name: string; content: string; filenameStar?: boolean }): string {
  const parts = Object.entries(fields).map(([k, v]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  const fname = file.filenameStar === true ? `filename*=UTF-8''${encodeURIComponent(file.name)}` : `filename="${file.name.replace(/"/g, '\\"')}"`;
  parts.push(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="upload"; ${fname}\r\nContent-Type: text/plain\r\n\r\n${file.content}\r\n`);
  return `${parts.join('')}--${BOUNDARY}--\r\n`;
}

const cases: Array<{ name: string; body: string; quoted?: boolean; blocked: boolean; count?: string }> = [
  { name: 'a field before the file, injection', body: form({ name: ATTACK }, { name: 'a.txt', content: 'data' }), blocked: true },
  { name: 'a field, benign', body: form({ name: 'alice' }, { name: 'a.txt', content: 'data' }), blocked: false, count: '1' },
  { name: "a field, benign with a quote written as SQL's doubled quote", body: form({ name: "o''brien" }, { name: 'a.txt', content: 'data' }), blocked: false, count: '1' },
  { name: 'the quoted boundary parameter', body: form({ name: ATTACK }, { name: 'a.txt', content: 'data' }), quoted: true, blocked: true },
  { name: "the file's name, injection", body: form({ by: 'filename' }, { name: ATTACK, content: 'data' }), blocked: true },
  { name: "the file's name in RFC 5987's form, injection", body: form({ by: 'filename' }, { name: ATTACK, content: 'data', filenameStar: true }), blocked: true },
  { name: "the file's name, benign", body: form({ by: 'filename' }, { name: 'bob', content: 'data' }), blocked: false, count: '1' },
];

t.test('@fastify/multipart: fields handed out of band are inputs', async (t) => {
  const port = (app.server.address() as { port: number }).port;
  for (const c of cases) {
    trace.length = 0;
    const type = `multipart/form-data; boundary=${c.quoted === true ? `"${BOUNDARY}"` : BOUNDARY}`;
    const r = await request(port, '/note', { method: 'POST', headers: { 'content-type': type }, body: c.body });
    verdict(t, r, c, ATTACK);
  }
});

t.test('a JSON body sent as multipart is read by its look', async (t) => {
  // The client chose the type; an app that JSON.parses whatever arrives reads the fields all the same.
  const plain = (await import('node:http')).createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      try {
        res.end(String(count(String((JSON.parse(body) as { name?: unknown }).name))));
      } catch (err) {
        res.statusCode = (err as { code?: string }).code === 'ERR_PALISADE_BLOCKED' ? 403 : 500;
        res.end('refused');
      }
    });
  });
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  t.teardown(() => plain.close());
  const port = (plain.address() as { port: number }).port;
  trace.length = 0;
  const headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
  const r = await request(port, '/', { method: 'POST', headers, body: JSON.stringify({ name: ATTACK }) });
  verdict(t, r, { name: 'JSON as multipart, injection', blocked: true }, ATTACK);
});

t.test('the events name the part', async (t) => {
  const sources = new Set(readEvents(log).filter((e) => e.kind === 'sql_injection').map((e) => (e.input as { source?: string }).source));
  t.ok(sources.has('body.name'), 'body.name');
  t.ok(sources.has('body.upload.filename'), 'body.upload.filename');
});
