import t from 'tap';
import * as os from 'node:os';
import { evaluate, loadPolicyText } from '../../lib/policy/index';
import { shell } from './helpers';

const tmp = os.tmpdir();
const p = loadPolicyText(`version: 1
mode: block
allow:
  process.spawn:
    - ls
    - { file: grep, args: ["...", "-c", "?"] }
    - { file: git, args: ["status"] }
  fs.write: ["\${TMPDIR}/**"]
deny:
  process.spawn: [{ id: no-rm, file: rm }]
`, 'shell.yaml');

const d = (cmd: string, cwd?: string) => evaluate(p, shell(cmd, cwd ? { cwd } : {}));

t.test('every program in a pipeline or list must be allowed', async (t) => {
  t.equal(d('ls -la').decision, 'allow');
  t.equal(d('ls -la | grep -c foo').decision, 'allow');
  t.equal(d('ls && git status').decision, 'allow');
  t.equal(d('ls; git push').decision, 'deny', 'git push is not allowed');
  const v = d('ls; rm -rf x');
  t.equal(v.decision, 'deny');
  t.equal(v.ruleId, 'no-rm', 'the deny rule on rm decides');
  t.equal(d('ls || curl http://x').decision, 'deny');
  t.equal(d('echo hi').decision, 'allow', 'harmless builtins need no rule');
  t.equal(d('cd /tmp && ls').decision, 'allow');
});

t.test('substitutions, dynamic programs and parse failures', async (t) => {
  t.equal(d('ls $(whoami)').decision, 'deny', 'a substitution hides which program runs');
  t.equal(d('ls `whoami`').decision, 'deny', 'backticks too');
  t.equal(d('ls $(rm -rf /)').ruleId, 'no-rm', 'deny rules see programs inside substitutions');
  t.equal(d('$CMD -la').decision, 'deny', 'a program name computed at run time');
  t.equal(d('ls "unterminated').decision, 'deny', 'an incomplete command line');
  t.equal(d('grep -c $PATTERN').decision, 'deny', 'a run-time argument does not satisfy "?"');
  t.equal(d('LD_PRELOAD=/tmp/x.so ls').ruleId, 'builtin.process.spawn.env', 'assignments are env');
});

t.test('the command as the shell reads it: backslash-newlines removed before tokens', async (t) => {
  // A substitution, an operator or a redirection split by a line continuation is still one.
  t.equal(d('ls "$\\\n(rm -rf /)"').ruleId, 'no-rm', '"$\\<newline>(rm …)" runs rm');
  t.equal(d('ls &\\\n& curl http://x').decision, 'deny', '&\\<newline>& is && before curl');
  t.equal(d('ls >\\\n> /etc/cron.d/x').decision, 'deny', '>\\<newline>> is >> to a file no rule allows');
  // Benign: a continuation between arguments of allowed programs.
  t.equal(d('ls -la \\\n  | grep -c foo').decision, 'allow', 'a continued pipeline of allowed programs');
});

t.test('redirections must satisfy fs rules', async (t) => {
  t.equal(d(`ls > ${tmp}/out.txt`).decision, 'allow');
  t.equal(d('ls > /etc/cron.d/x').decision, 'deny');
  t.match(d('ls > /etc/cron.d/x').reason, /redirect/);
  t.equal(d('ls 2>/dev/null').decision, 'allow', '/dev/null is always fine');
  t.equal(d('ls 2>&1 | grep -c x').decision, 'allow', 'fd duplication is not a file');
  t.equal(d('ls > out.txt', tmp).decision, 'allow', 'relative targets resolve against cwd');
  t.equal(d('ls > out.txt', '/etc').decision, 'deny');
  t.equal(d('ls > $OUT').decision, 'deny', 'a run-time target cannot be checked');
  t.equal(d(`cd /etc && ls > passwd`).decision, 'deny', 'after cd, relative targets are unknown');
});

t.test('deny-only policies and redirect-only policies', async (t) => {
  const q = loadPolicyText('version: 1\ndeny:\n  process.spawn: [{ file: rm }]\n', 'q.yaml');
  t.equal(evaluate(q, shell('ls | wc -l')).decision, 'allow', 'no allow list: other programs are unrestricted');
  t.equal(evaluate(q, shell('echo $(rm -rf x)')).decision, 'deny');
  const r = loadPolicyText('version: 1\nallow:\n  fs.write: ["/tmp/**"]\n', 'r.yaml');
  t.equal(evaluate(r, shell('anything | goes > /tmp/x')).decision, 'allow');
  t.equal(evaluate(r, shell('anything > /root/x')).decision, 'deny', 'a shell write is checked even when spawns are not restricted');
  const s = loadPolicyText('version: 1\ndeny:\n  process.spawn: [{ id: no-shell, shell: true }]\n', 's.yaml');
  t.equal(evaluate(s, shell('ls')).ruleId, 'no-shell', 'shell: true in a deny rule forbids shells');
});
