import t from 'tap';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { pipeline, Readable, Writable } from 'node:stream';
import { start } from '../../lib/index';
import { currentScope } from '../../lib/context';
import { inputsOf } from '../../lib/taint';
import { request, tmpDir } from '../helpers/app';

// The request scope must survive every kind of async hop and never leak
// between concurrent requests.
start({ mode: 'monitor', log: path.join(tmpDir(), 'events.log') });

function sourceValue(name: string): string | undefined {
  const scope = currentScope();
  if (scope === undefined) return undefined;
  return inputsOf(scope).find((i) => i.source === name && i.decoding.length === 0)?.value;
}

t.test('scope survives promises, timers, callbacks and streams; isolated between requests', async (t) => {
  const server = http.createServer(async (req, res) => {
    const seen: Array<string | undefined> = [];
    seen.push(sourceValue('query.id'));
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    seen.push(sourceValue('query.id'));
    await new Promise((r) => setImmediate(r));
    seen.push(sourceValue('query.id'));
    await new Promise<void>((r) => fs.stat(__filename, () => { seen.push(sourceValue('query.id')); r(); }));
    await new Promise<void>((r) => process.nextTick(() => { seen.push(sourceValue('query.id')); r(); }));
    await new Promise<void>((resolve) => {
      pipeline(
        Readable.from(['a', 'b']),
        new Writable({ write(_c, _e, cb) { seen.push(sourceValue('query.id')); setTimeout(cb, 1); } }),
        () => { seen.push(sourceValue('query.id')); resolve(); },
      );
    });
    res.end(JSON.stringify(seen));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const ids = Array.from({ length: 30 }, (_, i) => `req${i}`);
  const replies = await Promise.all(ids.map((id) => request(port, `/x?id=${id}`)));
  replies.forEach((r, i) => {
    const seen = JSON.parse(r.body) as string[];
    t.equal(seen.length, 8);
    t.ok(seen.every((v) => v === ids[i]), `request ${i} only ever sees its own input`);
  });
  t.equal(currentScope(), undefined, 'no scope outside requests');
  server.close();
});

t.test('body read through req events keeps the scope (body-parser style next() from end)', async (t) => {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      res.end(JSON.stringify({ ok: currentScope()?.request?.req === req, v: sourceValue('body.name') }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const r = await request(port, '/b', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"alice"}' });
  t.same(JSON.parse(r.body), { ok: true, v: 'alice' }, 'raw body tapped and parsed lazily');
  server.close();
});
