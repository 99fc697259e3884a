import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { evaluate, loadPolicyText } from '../../lib/policy/index';
import { compilePathGlobs, necessaryText } from '../../lib/policy/rules-fs';
import { matchArgs, compileArgPattern, wildcardMatch, type ArgPattern } from '../../lib/policy/wildcard';
import { connect, evalOp, fsRead, fsWrite, spawn, sql } from './helpers';

const load = (yaml: string, vars?: Record<string, string>) => loadPolicyText(`version: 1\nmode: block\n${yaml}`, 'test.yaml', vars);
const decision = (p: ReturnType<typeof load>, op: Parameters<typeof evaluate>[1], ctx = {}) => evaluate(p, op, ctx).decision;

t.test('wildcard and argument patterns', async (t) => {
  t.ok(wildcardMatch('https://*', 'https://github.com/a/b'), '* crosses slashes in arguments');
  t.notOk(wildcardMatch('https://*', 'http://x'));
  t.ok(wildcardMatch('a?c', 'abc'));
  t.notOk(wildcardMatch('a?c', 'ac'));
  t.ok(wildcardMatch('*a*b*c*', 'xxaxxbxxcxx'));
  t.notOk(wildcardMatch('*a*b*c*d', 'a'.repeat(5000) + 'b'.repeat(5000)), 'many stars on long text stays bounded');
  const pats = (xs: string[]) => xs.map((x) => compileArgPattern(x) as ArgPattern);
  t.ok(matchArgs(pats(['clone', '--depth', '1', 'https://*', '?']), ['clone', '--depth', '1', 'https://x/y', 'dir']));
  t.notOk(matchArgs(pats(['clone', '--depth', '1', 'https://*', '?']), ['clone', '--depth', '1', 'https://x/y']), '? is exactly one argument');
  t.notOk(matchArgs(pats(['clone', '--depth', '1', 'https://*', '?']), ['clone', '--depth', '1', 'https://x/y', 'a', 'b']));
  t.ok(matchArgs(pats(['log', '...']), ['log']), '... matches zero arguments');
  t.ok(matchArgs(pats(['log', '**']), ['log', '-n', '5']));
  t.ok(matchArgs(pats(['...', '--', '?']), ['a', 'b', '--', 'f']), 'rest in the middle');
  t.ok(matchArgs(pats(['/--depth=\\d+/']), ['--depth=12']));
  t.notOk(matchArgs(pats(['/--depth=\\d+/']), ['--depth=12;x']), 'regexes are anchored to the whole argument');
  t.notOk(matchArgs(pats([]), ['x']), 'args: [] means no arguments');
  t.notOk(matchArgs(pats(['?']), ['$X'], [true]), 'a run-time value only matches "..."');
  t.ok(matchArgs(pats(['...']), ['$X'], [true]));
});

t.test('fs globs, variables and symlinks', async (t) => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-policy-')));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'app', 'public'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'x');
  fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(dir, 'app', 'public', 'link.txt'));
  fs.symlinkSync(path.join(dir, 'app'), path.join(dir, 'app-link'));
  const p = load(`allow:\n  fs.read: ["\${APP_ROOT}/**"]\n  fs.write: ["\${APP_ROOT}/public/**"]\ndeny:\n  fs.read: ["**/.env"]\n`, { APP_ROOT: path.join(dir, 'app') });
  t.equal(decision(p, fsRead(path.join(dir, 'app', 'index.js'))), 'allow');
  t.equal(decision(p, fsRead(path.join(dir, 'app'))), 'allow', '/** includes the directory itself');
  t.equal(decision(p, fsRead(path.join(dir, 'app', '.env'))), 'deny', 'deny wins; ** matches dotfiles');
  t.equal(decision(p, fsRead(path.join(dir, 'app', '.hidden', 'x'))), 'allow', 'dot directories are inside /**');
  t.equal(decision(p, fsRead(path.join(dir, 'secret.txt'))), 'deny');
  t.equal(decision(p, fsRead(path.join(dir, 'app', 'public', 'link.txt'))), 'deny', 'a symlink inside the allowed tree to a file outside is judged by its real path');
  t.equal(decision(p, fsRead(path.join(dir, 'app-link', 'index.js'))), 'allow', 'a symlink to an allowed directory resolves into it');
  t.equal(decision(p, fsWrite(path.join(dir, 'app', 'public', 'new', 'file.txt'))), 'allow', 'a file that does not exist yet resolves through its existing parent');
  t.equal(decision(p, fsWrite(path.join(dir, 'app-link', 'public', 'x.txt'))), 'allow');
  t.equal(decision(p, fsWrite(path.join(dir, 'app', 'x.txt'))), 'deny');

  // A glob whose own base is a symlink matches the real path too.
  const q = load(`allow:\n  fs.read: ["${path.join(dir, 'app-link')}/**"]\n`);
  t.equal(decision(q, fsRead(path.join(dir, 'app', 'index.js'))), 'allow');
});

t.test('fs globs: the literal pre-test never changes what a glob matches', async (t) => {
  // compilePathGlobs answers from a text every match must contain before it runs the glob's
  // regular expression; it must agree with picomatch alone on every pattern and path.
  const patterns = [
    '/srv/app/**', '/srv/app', '/srv/app/*.txt', '/proc/*/environ', '**/.ssh/**', '**/.npmrc', '**/id_*', '/etc/shadow',
    '/srv/**/secret', '/tmp/up?oad/**', '/srv/{a,b}/**', '**/*.pem', '/**', '**', '/srv/app/[ab]*',
    '**/{id_rsa,id_dsa}', '**/@(.env|.netrc)', '/srv/@(a|c)/x', '/etc/shadow',
  ];
  const paths = [
    '/srv/app', '/srv/app/', '/srv/app/x.txt', '/srv/app/d/x.txt', '/srv/apple', '/srv/ap', '/proc/1/environ', '/proc/self/environ',
    '/proc/1/2/environ', '/home/u/.ssh', '/home/u/.ssh/id_rsa', '/.ssh', '/home/u/.sshd/x', '/home/u/x.ssh', '/home/u/.npmrc',
    '/home/u/.npmrc.bak', '/home/u/id_ed25519', '/etc/shadow', '/etc/shadow-', '/srv/x/y/secret', '/srv/secret', '/tmp/upload/a',
    '/tmp/up/oad/a', '/srv/a/x', '/srv/c/x', '/k/cert.pem', '/', '/srv/app/a1', '/srv/app/c1', '/home/u/.ssh/id_dsa',
    '/home/u/.env', '/home/u/.netrc', '/home/u/.envrc',
  ];
  const ctx = { problem: () => t.fail('no problem expected'), list: (v: unknown) => v as string[] } as unknown as Parameters<typeof compilePathGlobs>[1];
  let disagreements = 0;
  for (const pat of patterns) {
    const plain = picomatch(pat, { dot: true });
    const compiled = compilePathGlobs([pat], ctx, [])!;
    for (const p of paths) {
      if (compiled.match(p) !== plain(p)) {
        disagreements++;
        t.fail(`${pat} on ${p}: pre-tested ${compiled.match(p)}, picomatch ${plain(p)}`);
      }
    }
  }
  t.equal(disagreements, 0);
  // And the pre-test is there for the common shapes (else the test above proves nothing about it).
  t.same(necessaryText('/srv/app/**'), { prefix: true, text: '/srv/app' });
  t.same(necessaryText('**/.ssh/**'), { prefix: false, text: '.ssh' });
  t.same(necessaryText('/proc/*/environ'), { prefix: true, text: '/proc' });
  t.same(necessaryText('/srv/{a,b}/**'), { prefix: true, text: '/srv' }, 'braces after the base: the base');
  t.equal(necessaryText('**/{id_rsa,id_dsa}'), undefined, 'braces with no base: no pre-test');
  t.equal(necessaryText('**'), undefined);
});

t.test('process.spawn: program names, paths, args, env', async (t) => {
  const p = load(`allow:
  process.spawn:
    - { id: git-clone, file: git, args: ["clone", "--depth", "1", "https://*", "?"] }
    - { id: git-version, file: git, args: ["--version"] }
    - { id: convert, file: /usr/bin/convert, args: ["...", "/.*\\\\.png/"] }
    - "ls ..."
    - { id: node-preload, file: node, args: ["server.js"], env: ["LD_PRELOAD"] }
`);
  t.equal(decision(p, spawn('git', ['--version'])), 'allow');
  t.equal(decision(p, spawn('/usr/bin/git', ['--version'])), 'allow', 'bare name matches a program in a system bin directory');
  t.equal(decision(p, spawn('/tmp/evil/git', ['--version'])), 'deny', 'bare name does not match a program elsewhere');
  t.equal(decision(p, spawn('git', ['--version', '--exec-path=/tmp'])), 'deny');
  t.equal(decision(p, spawn('git', ['clone', '--depth', '1', 'https://github.com/a/b', 'b'])), 'allow');
  t.equal(decision(p, spawn('git', ['clone', '--depth', '1', 'ext::sh -c x', 'b'])), 'deny');
  t.equal(decision(p, spawn('/usr/bin/convert', ['-resize', '10', 'in.jpg', 'out.png'])), 'allow');
  t.equal(decision(p, spawn('/usr/bin/convert', ['in.jpg', 'out.svg'])), 'deny');
  t.equal(decision(p, spawn('ls', ['-la', '/'])), 'allow', 'string shorthand: program then argument patterns');
  t.equal(decision(p, spawn('rm', ['-rf', '/'])), 'deny');
  t.notOk('LD_PRELOAD' in process.env || 'DYLD_INSERT_LIBRARIES' in process.env, 'test precondition');
  const v = evaluate(p, spawn('ls', [], { envKeys: ['DYLD_INSERT_LIBRARIES'] }));
  t.equal(v.decision, 'deny', 'DYLD_* is denied by default once spawns are restricted');
  t.equal(v.ruleId, 'builtin.process.spawn.env');
  t.equal(decision(p, spawn('node', ['server.js'], { envKeys: ['LD_PRELOAD', 'FOO'] })), 'allow', 'an allow rule may grant LD_PRELOAD explicitly');
  t.equal(decision(p, spawn('ls', [], { envKeys: ['LD_PRELOAD'] })), 'deny', '...but only for that program');
  const inherited = Object.keys(process.env)[0]!;
  t.equal(decision(p, spawn('ls', [], { envKeys: [inherited] })), 'allow', 'variables the process already has are passed along, not added');
});

t.test('net.connect: hosts, ports, protocols, CIDR on the connected address', async (t) => {
  const p = load(`allow:
  net.connect:
    - { id: stripe, host: api.stripe.com, port: 443, protocol: https }
    - { id: aws, host: "*.amazonaws.com", port: "443-444" }
    - { id: lo, cidr: ["127.0.0.0/8", "::1"] }
    - "db.internal:5432"
deny:
  net.connect:
    - { id: metadata, cidr: 169.254.169.254 }
`);
  t.equal(decision(p, connect('api.stripe.com', 443, 'https:')), 'allow');
  t.equal(decision(p, connect('API.Stripe.com.', undefined, 'https:')), 'allow', 'case, trailing dot and default port are normalised');
  t.equal(decision(p, connect('api.stripe.com', 80, 'http:')), 'deny');
  t.equal(decision(p, connect('s3.eu-west-1.amazonaws.com', 443)), 'allow');
  t.equal(decision(p, connect('amazonaws.com', 443)), 'deny', '*.domain does not include the domain itself');
  t.equal(decision(p, connect('evilamazonaws.com', 443)), 'deny');
  t.equal(decision(p, connect('localhost', 8080, 'http:', '127.0.0.1')), 'allow', 'CIDR is checked against the connected address');
  t.equal(decision(p, connect('localhost', 8080, 'http:', '::ffff:127.0.0.1')), 'allow', 'IPv4-mapped IPv6 is matched as IPv4');
  t.equal(decision(p, connect('::1', 8080)), 'allow', 'an IP literal host is its own address');
  t.equal(decision(p, connect('db.internal', 5432)), 'allow');
  t.equal(decision(p, connect('api.stripe.com', 443, 'https:', '169.254.169.254')), 'deny', 'a deny CIDR catches an allowed name that resolves to metadata');
  const pending = evaluate(p, connect('internal.example', 80, 'http:'));
  t.equal(pending.decision, 'deny');
  t.equal(pending.needsAddress, true, 'without an address the CIDR rules cannot decide: re-evaluate at connect time');
});

t.test('sql.query kinds and multi-statement; code.eval', async (t) => {
  const p = load(`allow:
  sql.query: { kinds: [select, insert, update, delete], multiStatement: false }
  code.eval: [{ via: "vm.*" }]
deny:
  sql.query: [{ id: no-grants, kinds: [dcl] }]
`);
  t.equal(decision(p, sql('SELECT * FROM users WHERE id = $1')), 'allow');
  t.equal(decision(p, sql('DELETE FROM users')), 'allow');
  t.equal(decision(p, sql('DROP TABLE users')), 'deny', 'ddl is not in the allow list');
  t.equal(decision(p, sql('SELECT 1; DELETE FROM users')), 'deny', 'multi-statement');
  t.equal(evaluate(p, sql('GRANT ALL ON x TO y')).ruleId, 'no-grants');
  t.equal(decision(p, sql('anything', { kind: 'select', multiStatement: false })), 'allow', 'kind filled by the SQL hook is used as is');
  t.equal(decision(p, evalOp('vm.runInNewContext')), 'allow');
  t.equal(decision(p, evalOp('Function')), 'deny');
  const off = load('allow:\n  code.eval: false\n');
  t.equal(decision(off, evalOp('eval')), 'deny');
  t.equal(decision(load('allow:\n  code.eval: true\n'), evalOp('eval')), 'allow');
});
