import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'dist', 'lib', 'cli', 'main.js');
const fixtures = path.join(root, 'test', 'fixtures', 'policy');

/** The bin must work from the built JS: rebuild when a policy/CLI source is newer than the build. */
function ensureBuilt(): void {
  const newest = ['lib/policy', 'lib/cli']
    .flatMap((d) => fs.readdirSync(path.join(root, d)).map((f) => path.join(root, d, f)))
    .reduce((m, f) => Math.max(m, fs.statSync(f).mtimeMs), 0);
  if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= newest) return;
  // Other work-in-progress files may not type-check; tsc still emits, and we only need our output.
  spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'ignore' });
  if (!fs.existsSync(bin)) throw new Error(`build did not produce ${bin}`);
}
// About twenty node processes plus, when stale, a build: slow on a loaded machine, not a hang.
t.setTimeout(600_000);
ensureBuilt();

function run(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { code: number | null; out: string; err: string } {
  const env = { ...process.env, ...opts.env };
  delete env.PALISADE_POLICY;
  if (opts.env?.PALISADE_MODE === undefined) delete env.PALISADE_MODE;
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: opts.cwd ?? root, env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

t.test('the bin is executable JS with a node shebang', async (t) => {
  t.match(fs.readFileSync(bin, 'utf8').split('\n')[0], /^#!\/usr\/bin\/env node/);
  const r = run(['--help']);
  t.equal(r.code, 0);
  t.match(r.out, /palisade check/);
  t.match(r.out, /palisade explain/);
  t.equal(run(['frobnicate']).code, 2);
});

t.test('check: a typo exits non-zero with file:line:column and the field', async (t) => {
  const file = path.join(fixtures, 'typo.yaml');
  const r = run(['check', file]);
  t.equal(r.code, 2, 'schema-invalid → 2');
  t.match(r.out, `${file}:7:32: error: allow.net.connect[0].prot: unknown field "prot" (did you mean "port"?)`);
  const j = run(['check', '--json', file]);
  t.equal(j.code, 2);
  const parsed = JSON.parse(j.out) as { exitCode: number; files: Array<{ status: string; problems: Array<{ line: number; column: number; field: string }> }> };
  t.equal(parsed.exitCode, 2);
  t.equal(parsed.files[0]!.status, 'invalid');
  t.same(parsed.files[0]!.problems.map((p) => [p.line, p.column, p.field]), [[7, 32, 'allow.net.connect[0].prot']]);
});

t.test('check: presets and a valid policy exit 0', async (t) => {
  const files = ['policies/default.yaml', 'policies/strict.yaml', 'test/fixtures/policy/valid.yaml'];
  // A fixed app root: with the checkout itself under the temp dir (as CI clones may be), strict.yaml's
  // `${APP_ROOT}/uploads/**` would rightly be reported as shadowed by `${TMPDIR}/**`.
  const r = run(['check', '--app-root', '/srv/app', ...files]);
  t.equal(r.code, 0);
  for (const f of files) t.match(r.out, `${f}: ok`);
  t.equal(run(['check', files[1]!, path.join(fixtures, 'typo.yaml')]).code, 2, 'several files: the worst exit code');
});

t.test('check: lint errors exit 1, warnings alone 0 (1 with --strict), no policy 2', async (t) => {
  const lint = run(['check', path.join(fixtures, 'lint.yaml')]);
  t.equal(lint.code, 1);
  t.match(lint.out, /lint\.yaml:20:5: error: exceptions\[0\]: exception EX-old expired on 2020-01-01/);
  t.match(lint.out, /lint\.yaml:4:7: warning: allow\.fs\.read\[0\]: allow\.fs\.read\[0\] grants fs\.read on the whole filesystem/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'palisade.yaml'), 'version: 1\nallow:\n  net.connect: [{ host: "*" }]\n');
  const warn = run(['check'], { cwd: dir });
  t.equal(warn.code, 0, 'finds ./palisade.yaml; warnings do not fail');
  t.match(warn.out, /palisade\.yaml:3:17: warning: allow\.net\.connect\[0\]/);
  t.equal(run(['check', '--strict'], { cwd: dir }).code, 1);
  fs.rmSync(path.join(dir, 'palisade.yaml'));
  const none = run(['check'], { cwd: dir });
  t.equal(none.code, 2);
  t.match(none.out, /no policy file/);
});

t.test('explain: fs, spawn and net show the rules considered and the deciding one', async (t) => {
  const p = path.join(fixtures, 'valid.yaml');
  const fsr = run(['explain', '--policy', p, '--app-root', '/srv/app', 'fs.read', '/etc/passwd']);
  t.equal(fsr.code, 1, 'denied → 1');
  t.match(fsr.out, /deny\s+passwd\s+MATCH\s+\/etc\/passwd matches \/etc\/passwd/);
  t.match(fsr.out, /decision:\s+DENY by passwd \(scope global\)/);
  t.match(fsr.out, /mode:\s+block → the call is blocked/);
  const fsa = run(['explain', '--policy', p, '--app-root', '/srv/app', 'fs.read', '/srv/app/index.js']);
  t.equal(fsa.code, 0);
  t.match(fsa.out, /deny\s+passwd\s+no match/);
  t.match(fsa.out, /decision:\s+ALLOW by app/);

  const git = run(['explain', '--policy', p, 'process.spawn', 'git', '--version']);
  t.equal(git.code, 0, '--version after the program is its argument, not an option');
  t.match(git.out, /allow\s+ls\s+no match\s+program git does not match ls/);
  t.match(git.out, /decision:\s+ALLOW by git-version/);
  const gitPush = run(['explain', '--policy', p, 'process.spawn', 'git', 'push']);
  t.equal(gitPush.code, 1);
  t.match(gitPush.out, /DENY by allow\.process\.spawn/);
  const sh = run(['explain', '--policy', p, 'process.spawn', '--shell', 'ls; rm -rf x']);
  t.equal(sh.code, 1);
  t.match(sh.out, /in shell command \[rm -rf x\]/);

  const net = run(['explain', '--policy', p, 'net.connect', 'https://api.stripe.com:443', '--address', '1.2.3.4']);
  t.equal(net.code, 0);
  t.match(net.out, /decision:\s+ALLOW by stripe/);
  const pkg = run(['explain', '--policy', p, '--package', 'left-pad-like', 'net.connect', 'https://api.stripe.com:443']);
  t.equal(pkg.code, 1);
  t.match(pkg.out, /not applicable: package left-pad-like does not inherit/);
  t.match(pkg.out, /DENY by packages\.left-pad-like\.allow\.net\.connect \(scope package:left-pad-like\)/);
  const unknown = run(['explain', '--policy', p, '--package', '(unknown)', 'net.connect', 'https://api.stripe.com:443']);
  t.equal(unknown.code, 1, 'the unknown caller does not inherit the app allows either');
  t.match(unknown.out, /caller:\s+unknown \(no app or package frame on the stack/);
  t.match(unknown.out, /not applicable: a call with no app or package frame on its stack does not inherit/);
  t.match(unknown.out, /decision:\s+DENY by allow\.net\.connect \(scope package:\(unknown\)\)/);
  const lo = run(['explain', '--policy', p, 'net.connect', 'localhost:8080', '--address', '127.0.0.1']);
  t.match(lo.out, /ALLOW by loopback/);
  const mon = run(['explain', '--policy', p, 'fs.read', '/etc/passwd'], { env: { PALISADE_MODE: 'monitor' } });
  t.match(mon.out, /mode:\s+block \(PALISADE_MODE=monitor → monitor\) → the call proceeds and is reported/);
});

t.test('explain --event and --json', async (t) => {
  const p = path.join(fixtures, 'valid.yaml');
  const event = JSON.stringify({ schema: 'palisade.event/1', kind: 'policy_violation', operation: 'net.connect', resource: { host: 'api.stripe.com', port: 443, protocol: 'https:' }, package: 'left-pad-like', request: { method: 'GET', route: '/pay' } });
  const r = run(['explain', '--policy', p, '--event', event]);
  t.equal(r.code, 1);
  t.match(r.out, /caller:\s+package left-pad-like/);
  t.match(r.out, /request:\s+GET \/pay/);
  const j = run(['explain', '--policy', p, '--json', 'process.spawn', 'ls', '-la']);
  t.equal(j.code, 0);
  const parsed = JSON.parse(j.out) as { verdict: { decision: string; ruleId: string; trace: Array<{ ruleId: string; matched: boolean }> } };
  t.equal(parsed.verdict.decision, 'allow');
  t.equal(parsed.verdict.ruleId, 'ls');
  t.ok(parsed.verdict.trace.some((s) => s.ruleId === 'ls' && s.matched));
  const bad = run(['explain', '--policy', p, 'fs.readd', '/x']);
  t.equal(bad.code, 2);
  t.match(bad.err, /unknown operation "fs.readd"/);
  const badPolicy = run(['explain', '--policy', path.join(fixtures, 'typo.yaml'), 'fs.read', '/x']);
  t.equal(badPolicy.code, 2);
  t.match(badPolicy.err, /typo\.yaml:7:32/);
});

t.test('schema prints the published schema', async (t) => {
  const r = run(['schema']);
  t.equal(r.code, 0);
  t.same(JSON.parse(r.out), JSON.parse(fs.readFileSync(path.join(root, 'policies', 'schema.json'), 'utf8')));
});
