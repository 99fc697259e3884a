import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { q, request, startApp, tmpDir, waitFor } from '../helpers/app';

// Acceptance of issue 4 (path traversal), run as an operator would: an
// express app under `node --require palisade/register`, real files, real
// HTTP on 127.0.0.1. Needs the built code: `npx tsc -p tsconfig.json`.

function appDir(): string {
  const dir = tmpDir('palisade-fs-app-');
  fs.mkdirSync(path.join(dir, 'public'));
  fs.mkdirSync(path.join(dir, 'uploads'));
  fs.writeFileSync(path.join(dir, 'public', 'report.txt'), 'quarterly report');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'the secret');
  return dir;
}

const PASSWD = '../../../../../../etc/passwd';
const TEXT = { 'content-type': 'text/plain' };
const enc = (s: string): string => s.replace(/\./g, '%2e').replace(/\//g, '%2f');

t.test('block mode: traversal in every spelling answers 403, benign names are served', async (t) => {
  const dir = appDir();
  const app = await startApp('fs/express-files.js', { PALISADE_MODE: 'block', APP_DIR: dir });
  t.teardown(() => app.stop());

  for (const route of ['/file', '/file-promise', '/file-stream']) {
    const ok = await request(app.port, `${route}?name=report.txt`);
    t.equal(ok.status, 200, `${route}: benign name served`);
    t.equal(ok.body, 'quarterly report');
    const missing = await request(app.port, `${route}?name=nope.txt`);
    t.equal(missing.status, 404, `${route}: a missing file is the app's own 404`);

    const forms: Array<[string, string]> = [
      ['raw', PASSWD],
      ['encodeURIComponent', q(PASSWD)],
      ['percent-encoded dots and slashes', enc(PASSWD)],
      ['mixed', `..%2F..%2f%2e%2e/${enc('../../../../etc/passwd')}`],
    ];
    for (const [label, query] of forms) {
      const res = await request(app.port, `${route}?name=${query}`);
      t.equal(res.status, 403, `${route}: ${label} → 403`);
      t.notMatch(res.body, /root:/, `${route}: ${label}: /etc/passwd not served`);
      t.match(JSON.parse(res.body), { code: 'ERR_PALISADE_BLOCKED', kind: 'path_traversal' });
    }
    // Identical events are deduplicated per call site; the first one of the route is logged.
    const ev = await waitFor(() => app.events().find((e) => e.request?.path === route && e.action === 'block'));
    t.match(ev, {
      action: 'block',
      kind: 'path_traversal',
      operation: 'fs.read',
      module: route === '/file-promise' ? 'fs/promises' : 'fs',
      fn: route === '/file-stream' ? 'createReadStream' : 'readFile',
      input: { source: 'query.name', value: PASSWD, decoding: [] },
      resource: { path: '/etc/passwd' },
      request: { method: 'GET', path: route },
    }, `${route}: block event`);
    t.match(ev.frame.file, /express-files\.js$/, 'the event names the app frame');
  }
  t.equal(app.child.exitCode, null, 'server alive');
});

t.test('block mode: absolute names', async (t) => {
  const dir = appDir();
  const app = await startApp('fs/express-files.js', { PALISADE_MODE: 'block', APP_DIR: dir });
  t.teardown(() => app.stop());
  // path.resolve(PUBLIC, '/etc/passwd') is /etc/passwd: the input chose the file.
  const abs = await request(app.port, `/file-resolve?name=${q('/etc/passwd')}`);
  t.equal(abs.status, 403, 'path.resolve + absolute name → 403');
  const ev = await waitFor(() => app.events().find((e) => e.request?.path === '/file-resolve'));
  t.match(ev, { kind: 'path_traversal', input: { source: 'query.name', value: '/etc/passwd' }, resource: { path: '/etc/passwd' }, detail: { rule: 'absolute' } });
  const absEnc = await request(app.port, `/file-resolve?name=${enc('/etc/passwd')}`);
  t.equal(absEnc.status, 403, 'percent-encoded absolute name → 403');
  t.equal((await request(app.port, `/file-resolve?name=report.txt`)).status, 200);
  // path.join(PUBLIC, '/etc/passwd') is PUBLIC/etc/passwd: it stays inside, nothing to block.
  const joined = await request(app.port, `/file?name=${q('/etc/passwd')}`);
  t.equal(joined.status, 404, 'path.join keeps an absolute name inside public: the app answers 404');
});

t.test('block mode: a leading slash before the climb (path.join) and a trailing slash after the name (path.resolve)', async (t) => {
  const dir = appDir();
  const app = await startApp('fs/express-files.js', { PALISADE_MODE: 'block', APP_DIR: dir });
  t.teardown(() => app.stop());
  // path.join(PUBLIC, '/../secret.txt') is APP_DIR/secret.txt: join reads the leading '/' as a separator.
  for (const route of ['/file', '/file-promise', '/file-stream']) {
    const res = await request(app.port, `${route}?name=${q('/../secret.txt')}`);
    t.equal(res.status, 403, `${route}: '/../secret.txt' → 403`);
    t.notMatch(res.body, /the secret/);
  }
  // path.resolve drops a trailing '/': '../secret.txt/' opens APP_DIR/secret.txt.
  const resolved = await request(app.port, `/file-resolve?name=${q('../secret.txt/')}`);
  t.equal(resolved.status, 403, "path.resolve + '../secret.txt/' → 403");
  t.notMatch(resolved.body, /the secret/);
  const ev = await waitFor(() => app.events().find((e) => e.request?.path === '/file-resolve'));
  t.match(ev, { kind: 'path_traversal', input: { source: 'query.name', value: '../secret.txt/' }, resource: { path: path.join(dir, 'secret.txt') }, detail: { rule: 'dot-dot' } });
  // Benign names with the same slashes are served.
  t.equal((await request(app.port, `/file?name=${q('/report.txt')}`)).status, 200, "'/report.txt' joins inside public");
  t.equal((await request(app.port, `/file-resolve?name=${q('report.txt/')}`)).status, 200, "'report.txt/' resolves inside public");
});

t.test("block mode: a name made only of '..' that node:path collapsed (path.join, resolve, normalize)", async (t) => {
  const dir = appDir();
  const app = await startApp('fs/express-files.js', { PALISADE_MODE: 'block', APP_DIR: dir });
  t.teardown(() => app.stop());
  // Benign first: the user's own folder.
  t.equal((await request(app.port, '/avatar/alice', { method: 'PUT', body: 'png', headers: TEXT })).status, 201, 'avatar stored');
  t.equal(fs.readFileSync(path.join(dir, 'uploads', 'alice', 'avatar.png'), 'utf8'), 'png');
  t.same(JSON.parse((await request(app.port, `/list?dir=alice`)).body), ['avatar.png'], 'own folder listed');
  // path.join(UPLOADS, '..') is APP_DIR, and path.join(UPLOADS, '..', 'avatar.png') APP_DIR/avatar.png: neither
  // path holds a trace of the input. The route's mkdir of APP_DIR is refused first.
  const put = await request(app.port, '/avatar/%2e%2e', { method: 'PUT', body: 'evil', headers: TEXT });
  t.equal(put.status, 403, "PUT /avatar/.. → 403");
  t.notOk(fs.existsSync(path.join(dir, 'avatar.png')), 'nothing written above uploads');
  const ev = await waitFor(() => app.events().find((e) => e.request?.route === '/avatar/:id'));
  t.match(ev, { kind: 'path_traversal', operation: 'fs.write', fn: 'mkdir', input: { value: '..' }, resource: { path: dir }, detail: { rule: 'dot-dot', via: 'path.join', base: path.join(dir, 'uploads') } });
  // readdir of the app's directory through path.normalize.
  const list = await request(app.port, `/list?dir=${q('../..')}`);
  t.equal(list.status, 403, 'GET /list?dir=../.. → 403');
  t.notMatch(list.body, /secret/);
  // fs.rmSync(path.resolve(UPLOADS, '..'), { recursive: true }) would remove the whole app directory.
  const rm = await request(app.port, '/uploads/%2e%2e', { method: 'DELETE' });
  t.equal(rm.status, 403, 'DELETE /uploads/.. → 403');
  t.ok(fs.existsSync(path.join(dir, 'secret.txt')) && fs.existsSync(path.join(dir, 'uploads', 'alice')), 'the app directory is still there');
  // A name that climbs and comes back stays inside; removing one's own folder works.
  t.equal((await request(app.port, `/list?dir=${q('alice/../alice')}`)).status, 200, "'alice/../alice' stays inside");
  t.equal((await request(app.port, '/uploads/alice', { method: 'DELETE' })).status, 200, 'own folder removed');
  t.notOk(fs.existsSync(path.join(dir, 'uploads', 'alice')));
});

t.test("block mode: a name after 600 query keys, past extraction's bounds (lib/taint/overflow.ts)", async (t) => {
  const dir = appDir();
  const app = await startApp('fs/express-files.js', { PALISADE_MODE: 'block', APP_DIR: dir });
  t.teardown(() => app.stop());
  const pad = Array.from({ length: 600 }, (_, i) => `k${i}=v${i}`).join('&');
  const ok = await request(app.port, `/file?${pad}&name=report.txt`);
  t.equal(ok.status, 200, 'benign name served');
  t.equal(ok.body, 'quarterly report');
  const res = await request(app.port, `/file?${pad}&name=${q(PASSWD)}`);
  t.equal(res.status, 403, 'traversal → 403');
  t.notMatch(res.body, /root:/);
  // '../..' collapsed by path.normalize leaves no trace in the path: the climb is noted at the node:path call.
  const list = await request(app.port, `/list?${pad}&dir=${q('../..')}`);
  t.equal(list.status, 403, 'a collapsed climb → 403');
  t.notMatch(list.body, /secret/);
  const ev = await waitFor(() => app.events().find((e) => e.request?.path === '/file' && e.action === 'block'));
  t.match(ev, { kind: 'path_traversal', input: { source: 'query.name', value: PASSWD } });
});

t.test('block mode: double encoding', async (t) => {
  const dir = appDir();
  const app = await startApp('fs/express-files.js', { PALISADE_MODE: 'block', APP_DIR: dir });
  t.teardown(() => app.stop());
  const twice = enc(PASSWD).replace(/%/g, '%25');
  // Express decodes once: the app receives '%2e%2e%2f…'. This app decodes again, so the path climbs.
  const decoded = await request(app.port, `/file-decoded?name=${twice}`);
  t.equal(decoded.status, 403, 'the app decodes again: 403');
  t.notMatch(decoded.body, /root:/);
  const ev = await waitFor(() => app.events().find((e) => e.request?.path === '/file-decoded'));
  t.match(ev, { kind: 'path_traversal', input: { source: 'query.name', decoding: ['url'] }, resource: { path: '/etc/passwd' } }, 'found as the URL-decoded form of query.name');
  t.equal((await request(app.port, `/file-decoded?name=${q('report.txt')}`)).status, 200);
  // Without a second decoding the app opens public/%2e%2e%2f… literally: inside public, it cannot
  // escape. The detector still refuses encoded traversal reaching fs (rule 'encoded'); either way
  // nothing outside public is read.
  const literal = await request(app.port, `/file?name=${twice}`);
  t.notMatch(literal.body, /root:/, 'not served');
  t.ok(literal.status === 403 || literal.status === 404, `literal double-encoded name: ${literal.status}`);
});

t.test('block mode: a write that escapes creates nothing', async (t) => {
  const dir = appDir();
  const app = await startApp('fs/express-files.js', { PALISADE_MODE: 'block', APP_DIR: dir });
  t.teardown(() => app.stop());
  const name = `pwned-${path.basename(dir)}`;
  const target = path.join(path.dirname(dir), name);
  t.teardown(() => fs.rmSync(target, { force: true }));
  const bad = await request(app.port, `/upload?name=${q(`../../${name}`)}`, { method: 'POST', body: 'evil', headers: TEXT });
  t.equal(bad.status, 403);
  t.notOk(fs.existsSync(target), 'no file outside uploads');
  const ev = await waitFor(() => app.events().find((e) => e.request?.path === '/upload'));
  t.match(ev, { action: 'block', kind: 'path_traversal', operation: 'fs.write', fn: 'writeFile', input: { source: 'query.name' }, resource: { path: target, flags: 'w' } });
  const encBad = await request(app.port, `/upload?name=${enc(`../../${name}`)}`, { method: 'POST', body: 'evil', headers: TEXT });
  t.equal(encBad.status, 403);
  t.notOk(fs.existsSync(target));
  const ok = await request(app.port, '/upload?name=note.txt', { method: 'POST', body: 'hello', headers: TEXT });
  t.equal(ok.status, 201);
  t.equal(fs.readFileSync(path.join(dir, 'uploads', 'note.txt'), 'utf8'), 'hello', 'benign upload stored');
});

t.test('monitor mode: reports and runs', async (t) => {
  const dir = appDir();
  const app = await startApp('fs/express-files.js', { PALISADE_MODE: 'monitor', APP_DIR: dir });
  t.teardown(() => app.stop());
  const res = await request(app.port, `/file?name=${q('../secret.txt')}`);
  t.equal(res.status, 200, 'monitor mode lets the read happen');
  t.equal(res.body, 'the secret');
  const ev = await waitFor(() => app.events().find((e) => e.kind === 'path_traversal'));
  t.match(ev, { action: 'report', mode: 'monitor', operation: 'fs.read', input: { source: 'query.name', value: '../secret.txt' }, resource: { path: path.join(dir, 'secret.txt') } });
  const up = await request(app.port, `/upload?name=${q('../escaped.txt')}`, { method: 'POST', body: 'x', headers: TEXT });
  t.equal(up.status, 201);
  t.ok(fs.existsSync(path.join(dir, 'escaped.txt')), 'monitor mode lets the write happen');
  const evw = await waitFor(() => app.events().find((e) => e.operation === 'fs.write'));
  t.match(evw, { action: 'report', kind: 'path_traversal', fn: 'writeFile' });
});
