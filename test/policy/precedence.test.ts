import t from 'tap';
import { compilePolicy, effectiveMode, evaluate, loadPolicyText, parseMode } from '../../lib/policy/index';
import { connect, fsRead, fsWrite, spawn } from './helpers';

const load = (yaml: string) => loadPolicyText(`version: 1\n${yaml}`, 'test.yaml');

t.test('deny beats allow; exceptions lift the deny they name; expired ones do not', async (t) => {
  const future = new Date(Date.now() + 30 * 86400_000).toISOString().slice(0, 10);
  const p = load(`mode: block
allow:
  fs.read: ["/srv/app/**"]
deny:
  fs.read:
    - { id: env-files, path: "**/.env" }
    - { id: keys, path: "**/*.key" }
exceptions:
  - { id: EX-1, reason: "legacy loader reads its .env", owner: "team-a", expires: "${future}", operation: fs.read, overrides: [env-files], match: "/srv/app/legacy/.env" }
  - { id: EX-2, reason: "old cert rotation job", owner: "team-b", expires: "2020-01-01", operation: fs.read, overrides: [keys], match: "/srv/app/tls/server.key" }
`);
  t.equal(evaluate(p, fsRead('/srv/app/index.js')).ruleId, 'allow.fs.read[0]');
  const env = evaluate(p, fsRead('/srv/app/.env'));
  t.equal(env.decision, 'deny', 'deny wins over a matching allow');
  t.equal(env.ruleId, 'env-files');
  t.equal(env.mode, 'block');
  const lifted = evaluate(p, fsRead('/srv/app/legacy/.env'));
  t.equal(lifted.decision, 'allow', 'an exception naming the deny rule lifts it');
  t.equal(lifted.ruleId, 'allow.fs.read[0]', 'then the ordinary allow decides');
  const expired = evaluate(p, fsRead('/srv/app/tls/server.key'));
  t.equal(expired.decision, 'deny', 'an expired exception stops applying');
  t.equal(expired.ruleId, 'keys');
  const trace = evaluate(p, fsRead('/srv/app/tls/server.key'), {}, true).trace!;
  t.ok(trace.some((s) => s.ruleId === 'EX-2' && /expired/.test(s.why)), 'explain says it expired');
});

t.test('an exception also grants: outside the allow list, for one package or route', async (t) => {
  const future = new Date(Date.now() + 30 * 86400_000).toISOString();
  const p = load(`mode: block
allow:
  net.connect: ["api.example.com:443"]
exceptions:
  - { id: EX-3, reason: "webhook migration", owner: "pay", expires: "${future}", operation: net.connect, match: { host: hooks.example.com }, package: webhook-lib }
`);
  t.equal(evaluate(p, connect('hooks.example.com', 443)).decision, 'deny', 'app code is not covered');
  const v = evaluate(p, connect('hooks.example.com', 443), { package: 'webhook-lib' });
  t.equal(v.decision, 'allow');
  t.equal(v.ruleId, 'EX-3');
  t.equal(v.scope, 'exception');
});

t.test('package scopes and inheritance', async (t) => {
  const p = load(`mode: block
allow:
  net.connect: ["api.example.com:443"]
  fs.read: ["/srv/app/**"]
packages:
  left-pad-like: { allow: { net.connect: [] } }
  "@acme/*": { allow: { net.connect: ["acme.example.com:443"] } }
  "@acme/trusted": { inherit: true }
  sharp: { deny: { net.connect: [{ id: sharp-no-net, host: "*" }] } }
`);
  t.equal(evaluate(p, connect('api.example.com', 443)).decision, 'allow', 'app code gets the global allow');
  const lp = evaluate(p, connect('api.example.com', 443), { package: 'left-pad-like' });
  t.equal(lp.decision, 'deny', 'an empty package allow list denies everything for that package');
  t.equal(lp.ruleId, 'packages.left-pad-like.allow.net.connect');
  t.equal(lp.scope, 'package:left-pad-like');
  const other = evaluate(p, connect('api.example.com', 443), { package: 'some-dep' });
  t.equal(other.decision, 'deny', 'packages do not inherit the app allows by default');
  t.match(other.reason, /do not inherit/);
  t.equal(evaluate(p, fsRead('/srv/app/x.js'), { package: 'some-dep' }).decision, 'deny');
  t.equal(evaluate(p, fsRead('/srv/app/node_modules/some-dep/data.json'), { package: 'some-dep' }).decision, 'allow', 'a package may read its own files');
  t.equal(evaluate(p, fsRead('/srv/app/node_modules/other/data.json'), { package: 'some-dep' }).decision, 'deny');
  t.equal(evaluate(p, connect('acme.example.com', 443), { package: '@acme/billing' }).decision, 'allow', '@scope/* scope');
  t.equal(evaluate(p, connect('api.example.com', 443), { package: '@acme/billing' }).decision, 'deny');
  t.equal(evaluate(p, connect('api.example.com', 443), { package: '@acme/trusted' }).decision, 'allow', 'inherit: true grants the app allows');
  t.equal(evaluate(p, connect('acme.example.com', 443), { package: '@acme/trusted' }).decision, 'allow', 'and keeps its scope grants');
  t.equal(evaluate(p, connect('api.example.com', 443), { package: 'sharp' }).ruleId, 'sharp-no-net');
  t.equal(evaluate(p, fsWrite('/anything'), { package: 'sharp' }).decision, 'allow', 'undeclared sections stay unrestricted for packages');

  t.equal(p.needsPackage('net.connect'), true);
  t.equal(p.needsPackage('fs.read'), true, 'global allows that packages do not inherit make the package matter');
  t.equal(p.needsPackage('fs.write'), false);
  t.equal(p.restricts('fs.write'), false);
  t.equal(p.restricts('sql.query'), false);

  const inheritAll = load(`allow:\n  fs.read: ["/srv/**"]\npackages:\n  "*": { inherit: true }\n`);
  t.equal(inheritAll.needsPackage('fs.read'), false, '"*": { inherit: true } makes attribution unnecessary');
  t.equal(evaluate(inheritAll, fsRead('/srv/x'), { package: 'any' }).decision, 'allow');
  const optOut = load(`allow:\n  fs.read: ["/srv/**"]\npackages:\n  "*": { inherit: true }\n  shady: { inherit: false }\n`);
  t.equal(optOut.needsPackage('fs.read'), true);
  t.equal(evaluate(optOut, fsRead('/srv/x'), { package: 'shady' }).decision, 'deny', 'the most specific inherit wins');
});

t.test('route scopes add allows and denies for matching requests', async (t) => {
  const p = load(`mode: block
allow:
  fs.write: ["/tmp/**"]
routes:
  "POST /upload": { allow: { fs.write: ["/srv/uploads/**"] } }
  "GET /users/:id": { deny: { net.connect: [{ id: no-net-on-users, host: "*" }] } }
  "* /admin/*": { mode: monitor, allow: { fs.write: ["/srv/admin/**"] } }
`);
  const up = fsWrite('/srv/uploads/a.png');
  t.equal(evaluate(p, up).decision, 'deny', 'outside the route');
  t.equal(evaluate(p, up, { method: 'POST', path: '/upload' }).decision, 'allow');
  t.equal(evaluate(p, up, { method: 'GET', path: '/upload' }).decision, 'deny', 'method must match');
  t.equal(evaluate(p, fsWrite('/tmp/x'), { method: 'POST', path: '/upload' }).decision, 'allow', 'global allows still apply');
  t.equal(evaluate(p, connect('x.com', 443), { method: 'GET', route: '/users/:userId' }).ruleId, 'no-net-on-users', 'a framework template with other param names matches');
  t.equal(evaluate(p, connect('x.com', 443), { method: 'GET', path: '/users/42' }).decision, 'deny', 'a concrete path matches the template');
  t.equal(evaluate(p, connect('x.com', 443), { method: 'GET', path: '/users/42/posts' }).decision, 'allow');
  t.equal(evaluate(p, fsWrite('/srv/admin/a'), { method: 'PUT', path: '/admin/settings/x' }).decision, 'allow');
});

t.test('modes: policy, scope, section and rule level', async (t) => {
  const p = load(`mode: block
allow:
  fs.read: { mode: monitor, rules: ["/srv/**"] }
  net.connect: ["api.example.com"]
deny:
  process.spawn:
    - { id: no-curl, file: curl, mode: monitor }
    - { id: no-wget, file: wget }
    - { id: no-nc, file: nc, mode: "off" }
packages:
  left-pad-like: { mode: learn, allow: { net.connect: [] } }
  quiet-pkg: { mode: "off", allow: { net.connect: [], fs.read: { mode: block, rules: [] } } }
`);
  t.equal(evaluate(p, fsRead('/etc/passwd')).mode, 'monitor', 'section mode');
  t.equal(evaluate(p, connect('evil.com', 443)).mode, 'block', 'policy mode');
  t.equal(evaluate(p, spawn('curl')).mode, 'monitor', 'rule mode');
  t.equal(evaluate(p, spawn('wget')).mode, 'block');
  t.equal(evaluate(p, spawn('nc')).decision, 'allow', 'a rule in mode off does not apply');
  t.equal(evaluate(p, connect('api.example.com', 443), { package: 'left-pad-like' }).mode, 'learn', 'scope mode');
  t.equal(evaluate(p, connect('evil.com', 443), { package: 'quiet-pkg' }).ruleId, 'allow.net.connect', 'a scope in mode off contributes nothing by default...');
  t.equal(evaluate(p, fsRead('/srv/x'), { package: 'quiet-pkg' }).ruleId, 'packages.quiet-pkg.allow.fs.read', '...but a section inside it with its own mode applies');
  t.equal(loadPolicyText('version: 1\n', 'x').mode, 'monitor', 'default mode is monitor');
});

t.test('PALISADE_MODE can only downgrade', async (t) => {
  t.equal(effectiveMode('block', undefined), 'block');
  t.equal(effectiveMode('block', 'monitor'), 'monitor');
  t.equal(effectiveMode('block', 'off'), 'off');
  t.equal(effectiveMode('monitor', 'block'), 'monitor', 'no upgrade');
  t.equal(effectiveMode('off', 'block'), 'off');
  t.equal(effectiveMode('off', 'monitor'), 'off');
  t.equal(effectiveMode('monitor', 'off'), 'off');
  t.equal(effectiveMode('block', 'learn'), 'learn', 'learn never blocks, so it is allowed from any active mode');
  t.equal(effectiveMode('learn', 'block'), 'learn');
  t.equal(effectiveMode('learn', 'off'), 'off');
  t.equal(parseMode(' Monitor '), 'monitor');
  t.equal(parseMode('yes'), undefined);
});

t.test('injection modes and fast-path flags', async (t) => {
  const p = load('mode: monitor\ninjection: { sql: block, ssrf: "off" }\n');
  t.equal(p.injectionMode('sql_injection'), 'block');
  t.equal(p.injectionMode('ssrf'), 'off');
  t.equal(p.injectionMode('command_injection'), 'monitor', 'unspecified kinds follow the policy mode');
  for (const op of ['fs.read', 'fs.write', 'process.spawn', 'net.connect', 'sql.query', 'code.eval'] as const) {
    t.equal(p.restricts(op), false, `${op} unrestricted`);
    t.equal(p.needsPackage(op), false);
  }
  const v1 = evaluate(p, fsRead('/etc/passwd'));
  const v2 = evaluate(p, fsRead('/etc/shadow'));
  t.equal(v1, v2, 'unrestricted verdicts are shared objects (no allocation)');
  const q = load('allow:\n  fs.write: ["/tmp/**"]\n');
  t.equal(q.restricts('process.spawn'), true, 'shell redirections make spawns relevant when files are restricted');
  t.equal(evaluate(q, spawn('git', ['status'])).decision, 'allow', 'but a direct spawn is not restricted');
});

t.test('compilePolicy on an object', async (t) => {
  const p = compilePolicy({ version: 1, mode: 'block', allow: { 'process.spawn': [{ file: 'ls' }] } }, 'inline');
  t.equal(evaluate(p, spawn('git', ['--version'])).decision, 'deny');
  t.throws(() => compilePolicy({ version: 1, allow: { 'proces.spawn': [] } }, 'inline'), { name: 'PolicyError', field: 'allow.proces.spawn' });
});
