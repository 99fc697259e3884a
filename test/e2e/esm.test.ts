import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { request, startApp, tmpDir, waitFor } from '../helpers/app';

t.test('node --import palisade/register protects an ESM app', async (t) => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'a.txt'), 'a');
  const marker = path.join(dir, 'pwned');
  const app = await startApp('apps/esm-fastify.mjs', { PALISADE_MODE: 'block', APP_DIR: dir }, { register: false, nodeArgs: ['--import', 'palisade/register'] });
  t.teardown(() => app.stop());
  const ok = await request(app.port, '/ls/a.txt', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"extra":""}' });
  t.equal(ok.status, 200);
  const bad = await request(app.port, '/ls/a.txt', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extra: `&& touch ${marker}` }) });
  t.equal(bad.status, 403);
  t.notOk(fs.existsSync(marker));
  const ev = await waitFor(() => app.events().find((e) => e.kind === 'command_injection'));
  t.match(ev, { action: 'block', input: { source: 'body.extra' }, request: { route: '/ls/:dir' } }, 'fastify body and route seen through the ESM hook');
});
