import t from 'tap';
import { q, request, startApp, waitFor } from '../helpers/app';
import { needServer } from '../helpers/db';
import { TAUT, fixture, rows } from './e2e-express';

// A block answers 403 through fastify's own error handling (pg, promise API).
// Build first (`npm run build`): the app loads the compiled agent.

t.test('fastify + pg: 403 through fastify', async (t) => {
  if (!(await needServer(t, 'pg'))) return;
  const fx = await fixture('pg');
  t.teardown(() => fx.teardown());
  const app = await startApp('sql/fastify-sql.js', { PALISADE_MODE: 'block', TABLE: fx.table, ...fx.env });
  t.teardown(() => app.stop());
  const ok = await request(app.port, `/user?name=${q('alice')}`);
  t.equal(ok.status, 200);
  t.same(rows(ok.body), [{ id: 1, name: 'alice' }]);
  const baseline = await fx.seen(app);
  const bad = await request(app.port, `/user?name=${q(TAUT)}`);
  t.equal(bad.status, 403, 'query string attack: 403');
  const badBody = await request(app.port, '/user', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `x' UNION SELECT id, name FROM ${fx.table} -- ` }),
  });
  t.equal(badBody.status, 403, 'JSON body attack: 403');
  t.equal(await fx.seen(app), baseline, 'the database received neither');
  const ev = await waitFor(() => app.events().find((e) => e.input?.source === 'body.name'));
  t.match(ev, { action: 'block', kind: 'sql_injection', operation: 'sql.query', resource: { driver: 'pg', dialect: 'postgres' } });
  const next = await request(app.port, `/user?name=${q('bob')}`);
  t.same(rows(next.body), [{ id: 2, name: 'bob' }], 'still serving');
});
