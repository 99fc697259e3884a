import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { q, request, startApp, tmpDir, waitFor, type RunningApp } from '../helpers/app';

// Acceptance of the foundation issue, run as an operator would: real apps
// under `node --require palisade/register`, real shells, real files.

function appDir(): string {
  const dir = tmpDir('palisade-appdir-');
  fs.writeFileSync(path.join(dir, 'hello.txt'), 'hi');
  return dir;
}

/** `script` under Palisade in `mode`, in a directory of its own, stopped when the test ends; `marker` is the file an injected command would make. */
async function appIn(t: Test, script: string, mode: string, markerName = 'pwned'): Promise<{ marker: string; app: RunningApp }> {
  const dir = appDir();
  const app = await startApp(script, { PALISADE_MODE: mode, APP_DIR: dir });
  t.teardown(() => app.stop());
  return { marker: path.join(dir, markerName), app };
}

t.test('express + exec, block mode: a line continuation inside double quotes', async (t) => {
  const { marker, app } = await appIn(t, 'apps/express-exec.js', 'block');
  const ok = await request(app.port, `/grep?q=${q('hi')}`);
  t.equal(ok.status, 200);
  t.match(ok.body, /hello\.txt/);
  // grep -rl "$\<newline>(touch …)" . — the shell drops the backslash-newline and runs the substitution.
  for (const x of [`$\\\n(touch ${marker})`, `\`\\\ntouch ${marker}\``, `$[$\\\n(touch ${marker})]`]) {
    const bad = await request(app.port, `/grep?q=${q(x)}`);
    t.equal(bad.status, 403, `${JSON.stringify(x)}: 403`);
    t.notOk(fs.existsSync(marker), `${JSON.stringify(x)}: the injected command never ran`);
  }
  const ev = await waitFor(() => app.events().find((e) => e.action === 'block'));
  t.match(ev, { kind: 'command_injection', input: { source: 'query.q' }, reason: /command substitution/ });
});

t.test('express + exec, block mode', async (t) => {
  const { marker, app } = await appIn(t, 'apps/express-exec.js', 'block');

  const ok = await request(app.port, `/ls?dir=${q('.')}`);
  t.equal(ok.status, 200);
  t.match(ok.body, /hello\.txt/);

  const bad = await request(app.port, `/ls?dir=${q(`.;touch ${marker}`)}`);
  t.equal(bad.status, 403, 'attack answered 403 by express');
  t.notOk(fs.existsSync(marker), 'the injected command never ran');
  const ev = await waitFor(() => app.events().find((e) => e.action === 'block'));
  t.ok(ev, 'one block event');
  t.match(ev, {
    action: 'block',
    kind: 'command_injection',
    operation: 'process.spawn',
    mode: 'block',
    input: { source: 'query.dir', decoding: [] },
    request: { method: 'GET', path: '/ls', route: '/ls', ip: '127.0.0.1' },
    resource: { shell: true },
  });
  t.match(ev.input.value, /touch/);
  t.match(ev.resource.command, /^ls \.;touch /);
  t.match(ev.frame.file, /express-exec\.js$/, 'first app frame is the app file');

  // base64: the app decodes the parameter itself.
  const b64 = Buffer.from(`.;touch ${marker}`).toString('base64');
  const bad64 = await request(app.port, `/ls64?d=${q(b64)}`);
  t.equal(bad64.status, 403);
  t.notOk(fs.existsSync(marker));
  const ev64 = await waitFor(() => app.events().find((e) => e.request?.path === '/ls64'));
  t.match(ev64, { kind: 'command_injection', input: { source: 'query.d', decoding: ['base64'] } });

  // JSON body field.
  const badBody = await request(app.port, '/ls', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dir: `. && touch ${marker}` }),
  });
  t.equal(badBody.status, 403);
  t.notOk(fs.existsSync(marker));
  const evBody = await waitFor(() => app.events().find((e) => e.input?.source === 'body.dir'));
  t.match(evBody, { action: 'block', kind: 'command_injection', request: { method: 'POST' } });
  const okBody = await request(app.port, '/ls', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dir: 'hello.txt' }),
  });
  t.equal(okBody.status, 200);

  // argv option injection through execFile (no shell involved).
  const badArg = await request(app.port, `/git?repo=${q(`--upload-pack=touch ${marker}`)}`);
  t.equal(badArg.status, 403);
  t.notOk(fs.existsSync(marker));
  const evArg = await waitFor(() => app.events().find((e) => e.request?.path === '/git'));
  t.match(evArg, { kind: 'command_injection', input: { source: 'query.repo' }, resource: { file: 'git', shell: false } });
});

t.test('express: a path segment that is literal in the matched route is not taint', async (t) => {
  const { marker, app } = await appIn(t, 'apps/express-exec.js', 'block', 'pwned-mounted');
  // path[2] is 'ls', the program the route runs; the route '/cmd/ls/:dir' says the app chose it.
  const ok = await request(app.port, '/cmd/ls/here');
  t.equal(ok.status, 200, 'allowed: the route is read again once the router matched it');
  t.match(ok.body, /hello\.txt/);
  t.same(app.events().filter((e) => e.action === 'block'), [], 'no block event');
  // The look-alike attack: the variable segment of the same route is still the client's.
  const bad = await request(app.port, `/cmd/ls/${q(`.;touch ${marker}`)}`);
  t.equal(bad.status, 403, 'an injected :dir is blocked');
  t.notOk(fs.existsSync(marker), 'the injected command never ran');
  const ev = await waitFor(() => app.events().find((e) => e.action === 'block'));
  t.match(ev, { kind: 'command_injection', request: { path: `/cmd/ls/${q(`.;touch ${marker}`)}`, route: '/cmd/ls/:dir' } });
});

t.test('express: inside mounted middleware, a route scope sees the path as it arrived', async (t) => {
  // express strips the mount path from req.url while app.use('/cmd', …) runs: '/cmd/ls/here' reads '/ls/here'.
  const dir = appDir();
  const policy = path.join(dir, 'palisade.yaml');
  fs.writeFileSync(policy, 'version: 1\nmode: block\nroutes:\n  "* /cmd/*":\n    deny: { fs.read: [{ id: no-hello, path: "**/hello.txt" }] }\n');
  const app = await startApp('apps/express-exec.js', { PALISADE_POLICY: policy, APP_DIR: dir });
  t.teardown(() => app.stop());
  const res = await request(app.port, '/cmd/ls/here');
  t.equal(res.status, 200, 'the route itself runs (the policy says nothing about spawns)');
  const ev = await waitFor(() => app.events().find((e) => e.kind === 'policy_violation'));
  t.match(ev, { action: 'block', operation: 'fs.read', rule: 'no-hello', request: { path: '/cmd/ls/here' } }, "the mounted middleware's read is judged by the route scope");
});

t.test('express + exec, monitor mode runs and reports', async (t) => {
  const { marker, app } = await appIn(t, 'apps/express-exec.js', 'monitor', 'pwned-monitor');
  const res = await request(app.port, `/ls?dir=${q(`.;touch ${marker}`)}`);
  t.equal(res.status, 200);
  t.ok(fs.existsSync(marker), 'monitor mode lets the call run');
  const ev = await waitFor(() => app.events().find((e) => e.kind === 'command_injection'));
  t.match(ev, { action: 'report', mode: 'monitor', input: { source: 'query.dir' } });
});

t.test('default mode is monitor and says so at startup', async (t) => {
  const app = await startApp('apps/express-exec.js', {});
  t.teardown(() => app.stop());
  const start = require('node:fs').readFileSync(app.logFile, 'utf8').split('\n')[0];
  t.match(JSON.parse(start), { mode: 'monitor', modeSource: 'default', msg: /started: mode=monitor/ });
});

t.test('plain http without try/catch: 403 and the server keeps serving', async (t) => {
  const { marker, app } = await appIn(t, 'apps/plain-http-execsync.js', 'block', 'pwned-plain');
  const attack = `.;touch ${marker}`;
  const cases: Array<[string, Parameters<typeof request>[2], string]> = [
    [`/query?dir=${q(attack)}`, {}, 'query.dir'],
    ['/header', { headers: { 'x-dir': attack } }, 'headers.x-dir'],
    ['/cookie', { headers: { cookie: `dir=${q(attack)}` } }, 'cookies.dir'],
    ['/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dir: attack }) }, 'body.dir'],
  ];
  for (const [p, o, source] of cases) {
    const res = await request(app.port, p, o);
    t.equal(res.status, 403, `${source} attack answered 403`);
    t.notOk(fs.existsSync(marker), `${source}: nothing ran`);
    const next = await request(app.port, `/query?dir=${q('.')}`);
    t.equal(next.status, 200, `server still serves after ${source}`);
    t.match(next.body, /hello\.txt/);
    const ev = await waitFor(() => app.events().find((e) => e.input?.source === source));
    t.ok(ev, `event names ${source}`);
  }
  t.equal(app.child.exitCode, null, 'server process still alive');
});

t.test('fastify and koa answer 403 through their own error handling', async (t) => {
  for (const script of ['apps/fastify-exec.js', 'apps/koa-exec.js']) {
    const dir = appDir();
    const marker = path.join(dir, 'pwned');
    const app = await startApp(script, { PALISADE_MODE: 'block', APP_DIR: dir });
    const ok = await request(app.port, `/ls?dir=${q('.')}`);
    t.equal(ok.status, 200, `${script} benign`);
    const bad = await request(app.port, `/ls?dir=${q(`.|touch ${marker}`)}`);
    t.equal(bad.status, 403, `${script} attack`);
    t.notOk(fs.existsSync(marker));
    const paramPath = script.includes('fastify') ? '/ls/hello.txt' : '/spawn/hello.txt';
    const badBody = await request(app.port, paramPath, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ extra: `$(touch ${marker})` }),
    });
    t.equal(badBody.status, 403, `${script} body attack blocked`);
    t.notOk(fs.existsSync(marker));
    const ev = await waitFor(() => app.events().find((e) => e.input?.source === 'body.extra'));
    t.match(ev, { action: 'block', kind: 'command_injection' }, `${script} names body.extra`);
    const okParam = await request(app.port, paramPath, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ extra: '' }),
    });
    t.equal(okParam.status, 200, `${script} benign param`);
    await app.stop();
  }
});
