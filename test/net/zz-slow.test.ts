import t from 'tap';
import { q, request, startApp, tmpDir } from '../helpers/app';
import { DNS_STUB, INTERNAL_URLS, startBackends } from './helpers';
t.test('x', async (t) => {
  const b = await startBackends(tmpDir());
  t.teardown(() => b.close());
  const app = await startApp('net/proxy-app.js', { PALISADE_MODE: 'block', EGRESS_DNS_STUB: DNS_STUB });
  t.teardown(() => app.stop());
  for (const c of ['http', 'fetch', 'undici', 'axios']) for (const url of INTERNAL_URLS) {
    const s = Date.now();
    const r = await request(app.port, `/proxy/${c}?url=${q(url)}`);
    const d = Date.now() - s;
    t.comment(`${c} ${url} ${r.status} ${d}`);
  }
  let s = Date.now();
  const https = await request(app.port, `/proxy/https?url=${q('https://imds.test/latest/meta-data/')}`);
  t.comment(`https ${https.status} ${Date.now() - s}`);
  s = Date.now();
  await app.stop();
  t.comment(`stop ${Date.now() - s}`);
  t.comment(app.stderr());
});
