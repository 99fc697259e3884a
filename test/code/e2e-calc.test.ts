import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { q, request, startApp, tmpDir, waitFor } from '../helpers/app';

// Issue 4 acceptance, run as an operator would: an express calculator that
// evaluates `expr` with `new Function` and with `vm.runInNewContext`, under
// `node --require palisade/register`.

function attacks(marker: string): Array<[route: string, expr: string]> {
  return [
    ['/calc', `process.mainModule.require('child_process').execSync('touch ${marker}')`],
    ['/calc', `1,process.mainModule.require('fs').writeFileSync('${marker}','x')`],
    ['/calc', `this.constructor.constructor('return process')().mainModule.require('fs').writeFileSync('${marker}','x')`],
    ['/calc', '(globalThis.__pwned = true)'],
    ['/vm', `this.constructor.constructor('return process')().mainModule.require('child_process').execSync('touch ${marker}')`],
    ['/vm', `this.constructor.constructor('globalThis.__pwned = true')()`],
  ];
}

t.test('block mode: arithmetic answers, injected code is refused with 403', async (t) => {
  const dir = tmpDir('palisade-calc-');
  const marker = path.join(dir, 'pwned');
  const app = await startApp('code/express-calc.js', { PALISADE_MODE: 'block' });
  t.teardown(() => app.stop());

  for (const route of ['/calc', '/vm']) {
    const ok = await request(app.port, `${route}?expr=${q('1+2')}`);
    t.equal(ok.status, 200, `${route} 1+2`);
    t.same(JSON.parse(ok.body), { result: 3 });
    const ok2 = await request(app.port, `${route}?expr=${q('Math.max(2, 7) * (10 - 4) / 3')}`);
    t.same(JSON.parse(ok2.body), { result: 14 }, `${route} Math expression`);
  }
  t.equal(app.events().length, 0, 'benign expressions raise no event');

  // Identical events (same kind, source, call site) are logged once per
  // window, so the full event is checked for the first attack per route and
  // the 403 body (which names the operation, kind and event) for every one.
  const seenRoute = new Set<string>();
  for (const [route, expr] of attacks(marker)) {
    const res = await request(app.port, `${route}?expr=${q(expr)}`);
    t.equal(res.status, 403, `${route} ${expr}`);
    const body = JSON.parse(res.body) as { code: string; error: string };
    t.equal(body.code, 'ERR_PALISADE_BLOCKED');
    t.match(body.error, /^Palisade blocked code\.eval: code injection .*\[event [0-9a-f-]+\]$/);
    if (seenRoute.has(route)) continue;
    seenRoute.add(route);
    const ev = await waitFor(() => app.events().find((e) => e.action === 'block' && e.request?.path === route));
    t.match(ev, {
      action: 'block',
      kind: 'code_injection',
      operation: 'code.eval',
      mode: 'block',
      input: { source: 'query.expr', value: expr, decoding: [] },
      request: { method: 'GET', path: route },
      resource: { via: route === '/calc' ? 'Function' : 'vm.runInNewContext' },
    });
    t.equal(ev?.resource.source, route === '/calc' ? `return ${expr}` : expr, 'the event shows the evaluated source');
    t.match(ev?.frame?.file, /express-calc\.js$/, 'first app frame is the app file');
    t.ok(body.error.includes(String(ev?.eventId)), 'the 403 names the logged event');
  }
  const dead = await request(app.port, `/calc?expr=${q(`1;process.mainModule.require('child_process').execSync('touch ${marker}')`)}`);
  t.equal(dead.status, 403, "'1;require(...)' is refused (statement injection)");
  t.equal(app.events().filter((e) => e.operation === 'process.spawn').length, 0, 'no command ever reached child_process');
  t.notOk(fs.existsSync(marker), 'no injected code ran: no file written');
  const state = await request(app.port, '/state');
  t.same(JSON.parse(state.body), { pwned: false }, 'no injected code ran: global untouched');
  t.equal(app.child.exitCode, null, 'server still alive');
});

t.test('monitor mode: the same attacks run and are reported', async (t) => {
  const dir = tmpDir('palisade-calc-');
  const app = await startApp('code/express-calc.js', { PALISADE_MODE: 'monitor' });
  t.teardown(() => app.stop());
  let i = 0;
  for (const [route, expr] of attacks(path.join(dir, 'x'))) {
    const marker = path.join(dir, `pwned-${i++}`);
    const payload = expr.replace(path.join(dir, 'x'), marker);
    const res = await request(app.port, `${route}?expr=${q(payload)}`);
    t.equal(res.status, 200, `${route} ${payload} runs`);
    if (payload.includes(marker)) t.ok(fs.existsSync(marker), 'the payload really works when not blocked');
  }
  for (const [route, via] of [['/calc', 'Function'], ['/vm', 'vm.runInNewContext']]) {
    const ev = await waitFor(() => app.events().find((e) => e.kind === 'code_injection' && e.request?.path === route));
    t.match(ev, { action: 'report', mode: 'monitor', operation: 'code.eval', input: { source: 'query.expr' }, resource: { via } });
  }
  const state = await request(app.port, '/state');
  t.same(JSON.parse(state.body), { pwned: true }, 'the global-writing payload really works when not blocked');
});
