import t from 'tap';
import * as path from 'node:path';
import { lintPolicy, loadPolicyFile, loadPolicyText } from '../../lib/policy/index';

const fixtures = path.resolve(__dirname, '..', 'fixtures', 'policy');

t.test('lint findings with positions', async (t) => {
  const problems = lintPolicy(loadPolicyFile(path.join(fixtures, 'lint.yaml')));
  const got = problems.map((p) => `${p.line}:${p.severity}:${p.code}:${p.field}`);
  const want = [
    '4:warning:overbroad-path:allow.fs.read[0]',
    '5:warning:shadowed-rule:allow.fs.read[1]',
    '6:warning:shadowed-rule:allow.fs.read[2]',
    '6:error:contradictory-rule:allow.fs.read[2]',
    '8:warning:overbroad-host:allow.net.connect[0]',
    '8:error:contradictory-rule:allow.net.connect[0]',
    '9:warning:overbroad-cidr:allow.net.connect[1]',
    '11:warning:interpreter-inline-code:allow.process.spawn[0]',
    '12:warning:interpreter-inline-code:allow.process.spawn[1]',
    '20:error:expired-exception:exceptions[0]',
    '21:error:unknown-rule:exceptions[1]',
  ];
  for (const w of want) t.ok(got.includes(w), `reports ${w}`);
  t.notOk(got.some((g) => g.includes('allow.process.spawn[2]')), 'a pinned script for an interpreter is fine');
  t.equal(problems.filter((p) => p.code === 'interpreter-inline-code').length, 2);
  t.match(problems.find((p) => p.code === 'unknown-rule')!.hint, /secrets/);
});

t.test('clean policies have no findings', async (t) => {
  t.same(lintPolicy(loadPolicyFile(path.join(fixtures, 'valid.yaml'))), []);
  const soon = new Date(Date.now() + 3 * 86400_000).toISOString().slice(0, 10);
  const p = loadPolicyText(`version: 1\ndeny:\n  fs.read: [{ id: d, path: /x }]\nexceptions:\n  - { id: E, reason: abc, owner: me, expires: ${soon}, operation: fs.read, overrides: [d], match: /x }\n`, 'p.yaml');
  t.same(lintPolicy(p).map((x) => x.code), ['exception-expires-soon']);
});

t.test('transparent package scopes: a pattern warns, rules that can never apply are an error', async (t) => {
  const p = loadPolicyText(
    [
      'version: 1',
      'allow:',
      '  fs.read: ["/app/**"]',
      'packages:',
      '  "@apm/*": { transparent: true }',
      '  tracer: { transparent: true, allow: { fs.read: ["/var/log/**"] } }',
      '  axios: { transparent: false }',
      '',
    ].join('\n'),
    'p.yaml',
  );
  const got = lintPolicy(p).map((x) => `${x.line}:${x.severity}:${x.code}`);
  t.same(got.sort(), ['5:warning:transparent-pattern', '6:error:transparent-with-rules']);
});
