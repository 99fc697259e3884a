import t from 'tap';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { start } from '../../lib/index';
import { __setFaultInjector } from '../../lib/agent';
import type { Operation } from '../../lib/types';
import { q, readEvents, request, startApp, tmpDir } from '../helpers/app';

// Libraries that generate code (fastify's ajv validators and
// fast-json-stringify serializers) must work in block mode with no event,
// at startup and when they compile lazily inside a request with input in
// scope. The control route proves the same app does refuse an injection.

t.test('fastify app under the preload, block mode: schemas compile, nothing is reported', async (t) => {
  const app = await startApp('code/fastify-schemas.js', { PALISADE_MODE: 'block' });
  t.teardown(() => app.stop());
  const names = ['alice', "O'Brien", 'x"); process.exit(1); ("', '${process.exit(1)}', '</script><script>alert(1)</script>', 'constructor', '__proto__'];
  for (const name of names) {
    const created = await request(app.port, '/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, age: 3, tags: [name] }),
    });
    t.equal(created.status, 200, `POST /users ${name}`);
    t.same(JSON.parse(created.body), { name, age: 3, tags: [name] });
    const got = await request(app.port, `/users/${q(name)}?age=7&tag=${q(name)}`);
    t.equal(got.status, 200, `GET /users/${name}`);
    t.same(JSON.parse(got.body), { name, age: 7, tags: [name] });
    const lazy = await request(app.port, `/lazy?q=${q(name)}&n=123`);
    t.equal(lazy.status, 200, `/lazy ${name}`);
    t.same(JSON.parse(lazy.body), { q: name, valid: true, lengths: [name.length] });
    const match = await request(app.port, `/match?name=${q(name)}&other=${q(name)}`);
    t.equal(match.status, 200, `/match ${name}`);
    t.same(JSON.parse(match.body), { same: true }, 'ajv compiled the input into its code as data and it works');
    const late = await request(app.port, `/late?echo=${q(name)}`);
    t.equal(late.status, 200, `/late ${name}`);
    t.same(JSON.parse(late.body), { echo: name });
  }
  t.same(app.events().filter((e) => e.operation === 'code.eval' || /hooks\/(code|vm)/.test(JSON.stringify(e.detail ?? {}))), [], 'no code.eval event, no internal error from the code hooks');

  const control = await request(app.port, `/calc?expr=${q("process.mainModule.require('fs')")}`);
  t.equal(control.status, 403, 'control: fastify answers 403 for a real injection');
  t.match(app.events().find((e) => e.operation === 'code.eval'), { kind: 'code_injection', resource: { via: 'Function' }, request: { path: '/calc' } });
});

t.test('in-process: the lazily compiled code really is judged inside the request, and allowed', async (t) => {
  const log = path.join(tmpDir(), 'events.log');
  start({ mode: 'block', log });
  const judged: Array<{ via: string; source: string }> = [];
  __setFaultInjector((op: Operation) => {
    if (op.name === 'code.eval') judged.push({ via: op.resource.via, source: op.resource.source });
  });
  t.teardown(() => __setFaultInjector(undefined));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fastify = require('fastify')() as {
    get(path: string, h: (req: any, reply: any) => Promise<unknown>): void;
    listen(o: { port: number; host: string }): Promise<string>;
    server: { address(): AddressInfo };
    close(): Promise<void>;
  };
  fastify.get('/lazy', async (request, reply) => {
    const validate = request.compileValidationSchema({ type: 'object', properties: { q: { type: 'string', minLength: 1 } } }, 'querystring');
    const serialize = reply.compileSerializationSchema({ type: 'object', properties: { q: { type: 'string' }, ok: { type: 'boolean' } } });
    reply.type('application/json');
    return serialize({ q: request.query.q, ok: validate(request.query) });
  });
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => fastify.close());
  t.equal(judged.length, 0, 'startup compiles outside any request are not inspected');
  const res = await request(fastify.server.address().port, `/lazy?q=${q('hello "world"; process')}`);
  t.equal(res.status, 200);
  t.same(JSON.parse(res.body), { q: 'hello "world"; process', ok: true });
  t.ok(judged.length >= 2, `validator and serializer compiled inside the request were judged (${judged.length})`);
  t.ok(judged.every((j) => j.via === 'Function'));
  t.ok(judged.some((j) => j.source.includes('minLength') || j.source.includes('.length')), 'the judged source is the generated validator');
  t.ok(judged.every((j) => !j.source.includes('hello "world"')), 'the input is not in the generated code');
  t.same(readEvents(log).filter((e) => e.operation === 'code.eval'), [], 'and allowed without an event');
});
