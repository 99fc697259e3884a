import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, request, startApp, tmpDir, waitFor } from '../helpers/app';

// Palisade beside another agent that patches the same functions with shimmer
// (OpenTelemetry's instrumentations, APM agents), in either start order. The
// app reads `public/<f>`; f=../secret.txt is a path traversal from the query.
const APP = path.join('other-agents', 'app.js');
const AGENTS = {
  'OpenTelemetry HTTP instrumentation': path.join(FIXTURES, 'other-agents', 'otel-http.js'),
  'a shimmer-based APM agent': path.join(FIXTURES, 'other-agents', 'node_modules', 'apm-agent', 'index.js'),
};

function appDir(): string {
  const dir = tmpDir();
  fs.mkdirSync(path.join(dir, 'public'));
  fs.writeFileSync(path.join(dir, 'public', 'ok.txt'), 'fine');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'the secret');
  return dir;
}

for (const [agent, preload] of Object.entries(AGENTS)) {
  for (const order of ['before', 'after'] as const) {
    t.test(`${agent} started ${order} Palisade: Palisade still guards, and the agent still runs`, async (t) => {
      const palisade = ['--require', 'palisade/register'];
      const other = ['--require', preload];
      const app = await startApp(APP, { PALISADE_MODE: 'block', APP_DIR: appDir() }, {
        register: false,
        nodeArgs: order === 'before' ? [...other, ...palisade] : [...palisade, ...other],
      });
      t.teardown(() => app.stop());
      t.equal((await request(app.port, '/plain?f=ok.txt')).body, 'fine', 'a normal read works');
      t.equal((await request(app.port, '/plain?f=../secret.txt')).body, 'ERR_PALISADE_BLOCKED', 'the traversal is blocked');
      t.equal((await request(app.port, '/original?f=../secret.txt')).body, 'ERR_PALISADE_BLOCKED', "following __original never passes Palisade's wrapper");
      t.equal((await request(app.port, '/unwrap?f=../secret.txt')).body, 'ERR_PALISADE_BLOCKED', 'shimmer.unwrap does not take Palisade off');
      const event = await waitFor(() => app.events().find((e) => e.kind === 'path_traversal'));
      t.match(event, { action: 'block', input: { source: 'query.f' } }, 'the event names the query input');
      t.ok(Number((await request(app.port, '/spans')).body) > 0, 'the other agent saw the requests');
      t.notMatch(app.stderr(), 'EGRESS-GUARD');
    });
  }
}

// Under package scopes the app's calls pass through the other agent's wrapper
// when it started after Palisade: its frames must not make them the agent's.
const POLICY = path.join(FIXTURES, 'other-agents', 'policy.yaml');

for (const [agent, preload] of Object.entries(AGENTS)) {
  for (const order of ['before', 'after'] as const) {
    t.test(`${agent} started ${order} Palisade, package scopes on: the app's calls stay the app's`, async (t) => {
      const palisade = ['--require', 'palisade/register'];
      const other = ['--require', preload];
      const app = await startApp(APP, { PALISADE_POLICY: POLICY, APP_DIR: appDir() }, {
        register: false,
        nodeArgs: order === 'before' ? [...other, ...palisade] : [...palisade, ...other],
      });
      t.teardown(() => app.stop());
      t.notMatch(app.stderr(), 'cannot be used', 'the policy loaded');
      t.equal((await request(app.port, '/plain?f=ok.txt')).body, 'fine', "the app's read is allowed");
      // The Host header names the app, as behind a proxy: here it would otherwise spell the loopback target itself.
      t.equal((await request(app.port, '/self', { headers: { host: 'app.test' } })).body, 'fine', "the app's http.get to loopback is allowed");
      t.equal((await request(app.port, '/plain?f=../secret.txt')).body, 'ERR_PALISADE_BLOCKED', 'the traversal is still blocked');
      // tap's own process hooks (@tapjs/processinfo, through NODE_OPTIONS) read files too, as a package.
      const violations = app.events().filter((e) => e.kind === 'policy_violation' && !String(e.package).startsWith('@tapjs/'));
      t.same(violations, [], 'no policy violation but those of tap in the app process');
    });
  }
}

t.test("without transparent: true, an agent's wrapper owns the calls that pass through it", async (t) => {
  // Connects only: with fs.read restricted too, Node's ESM loader (tap's hooks run in the app) would read each
  // CommonJS module through the agent's wrapper, which is looked past only when the agent is transparent.
  const policy = path.join(tmpDir(), 'policy.yaml');
  fs.writeFileSync(policy, 'version: 1\nmode: block\nallow:\n  net.connect: [{ id: loopback, cidr: "127.0.0.0/8" }]\n');
  const app = await startApp(APP, { PALISADE_POLICY: policy, APP_DIR: appDir() }, {
    register: false,
    nodeArgs: ['--require', 'palisade/register', '--require', AGENTS['a shimmer-based APM agent']],
  });
  t.teardown(() => app.stop());
  t.equal((await request(app.port, '/self', { headers: { host: 'app.test' } })).body, 'ERR_PALISADE_BLOCKED');
  const event = await waitFor(() => app.events().find((e) => e.kind === 'policy_violation' && e.package === 'apm-agent'));
  t.match(event, { operation: 'net.connect', module: 'http', fn: 'get' });
});
