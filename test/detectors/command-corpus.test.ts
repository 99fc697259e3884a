import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCommandInjection } from '../../lib/detectors/command';
import { parseShell, shellTokens, type ShellToken } from '../../lib/detectors/shell';
import type { SpawnResource, TaintInput } from '../../lib/types';
import { attacks, benign, input, shellCase } from './corpus/command';

t.test('corpus size', async (t) => {
  t.ok(attacks.length >= 150, `${attacks.length} attacks`);
  t.ok(benign.length >= 150, `${benign.length} benign look-alikes`);
  t.comment(`attacks: ${attacks.length}, benign: ${benign.length}`);
});

t.test('every attack is caught', async (t) => {
  for (const c of attacks) {
    const f = detectCommandInjection(c.resource, c.inputs);
    if (f === undefined) {
      t.fail(`missed: ${c.name}`);
      continue;
    }
    t.equal(f.kind, 'command_injection', c.name);
    if (c.source !== undefined) t.equal(f.input.source, c.source, `${c.name}: names the attacking input`);
    if (c.reason !== undefined) t.match(f.reason, c.reason, `${c.name}: ${f.reason}`);
    t.equal(f.detail?.['shell'], c.resource.shell, `${c.name}: detail.shell`);
  }
});

t.test('every benign look-alike passes', async (t) => {
  for (const c of benign) {
    const f = detectCommandInjection(c.resource, c.inputs);
    t.equal(f, undefined, f === undefined ? c.name : `${c.name}: false positive (${f.reason})`);
  }
});

t.test('findings point at the token and the argv element', async (t) => {
  const f1 = detectCommandInjection(shellCase('ls §', '.;touch /tmp/x').resource, [input('.;touch /tmp/x')]);
  t.same(f1?.detail, { shell: true, token: ';' });
  t.equal(f1?.reason, "input adds shell operator ';'");
  const f2 = detectCommandInjection({ file: 'git', args: ['clone', '--upload-pack=touch /tmp/x'], shell: false }, [input('--upload-pack=touch /tmp/x')]);
  t.equal(f2?.detail?.['argIndex'], 2);
  t.equal(f2?.detail?.['shell'], false);
  t.match(f2?.reason, "injects option '--upload-pack=touch /tmp/x' into argv[2]");
  const long = '--output=' + 'a'.repeat(200);
  const f3 = detectCommandInjection({ file: 'curl', args: [long], shell: false }, [input(long)]);
  t.ok((f3?.reason.length ?? 999) < 120, 'long tokens are truncated in the reason');
});

// Ground truth: run the command in a real shell and see whether the input made it do something
// the template never asked for (create ./pwned). Whenever it did, the detector must say so.
t.test('agrees with a real shell', async (t) => {
  const shells = ['/bin/sh', 'bash'].filter((s) => spawnSync(s, ['-c', 'true']).status === 0);
  t.ok(shells.length > 0, 'a POSIX shell is available');
  const templates = ['echo §', 'echo "§"', "echo '§'", 'echo pre-§-post', 'printf "%s\\n" "§" x', 'echo "a" § "b"'];
  const payloads = [
    ';touch pwned',
    '&&touch pwned',
    '|touch pwned',
    '\ntouch pwned',
    '$(touch pwned)',
    '`touch pwned`',
    '";touch pwned;"',
    "';touch pwned;'",
    '"$(touch pwned)"',
    "'$(touch pwned)'",
    '${IFS};touch${IFS}pwned',
    '& touch pwned',
    '>pwned',
    '$(>pwned)',
    "x'\"`touch pwned`\"'",
    '\\";touch pwned;\\"',
    'touch pwned',
    'plain-text',
  ];
  let ran = 0;
  let stricter = 0;
  for (const sh of shells) {
    for (const tpl of templates) {
      for (const p of payloads) {
        const dir = mkdtempSync(join(tmpdir(), 'palisade-cmd-'));
        const c = shellCase(tpl, p);
        try {
          spawnSync(sh, ['-c', c.resource.command!], { cwd: dir, stdio: 'ignore', timeout: 10_000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
          ran++;
          const created = existsSync(join(dir, 'pwned'));
          const f = detectCommandInjection(c.resource, c.inputs);
          if (created) t.not(f, undefined, `${sh}: ${c.name} ran the input, so it must be flagged`);
          else if (f !== undefined) stricter++;
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  }
  t.comment(`${ran} real shell runs; ${stricter} flagged although the shell did not create the marker (new words, quote breakouts that stay inert)`);

  // Look-alikes that a real shell leaves inert must also pass the detector.
  const inert: Array<[string, string]> = [
    ['echo "§"', 'touch pwned; ok'],
    ["echo '§'", '$(touch pwned)'],
    ["echo '§'", '`touch pwned`;|&'],
    ['echo "§"', "'single' & | ; #"],
    ['echo "§"', '\\"; touch pwned'],
  ];
  for (const [tpl, p] of inert) {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-cmd-'));
    const c = shellCase(tpl, p);
    try {
      spawnSync(shells[0]!, ['-c', c.resource.command!], { cwd: dir, stdio: 'ignore', timeout: 10_000 });
      t.notOk(existsSync(join(dir, 'pwned')), `real shell keeps ${c.name} inert`);
      t.equal(detectCommandInjection(c.resource, c.inputs), undefined, `detector passes ${c.name}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

t.test('parseShell: simple commands, pipelines and lists', async (t) => {
  t.same(parseShell('ls -la /tmp'), {
    commands: [{ argv: ['ls', '-la', '/tmp'], assignments: [], redirects: [], dynamic: [false, false, false] }],
    operators: [],
    substitutions: [],
    incomplete: false,
  });
  const p = parseShell('cat a.txt | grep -v x && echo ok || echo fail; sleep 1 & wait\nuptime');
  t.same(
    p.commands.map((c) => c.argv),
    [['cat', 'a.txt'], ['grep', '-v', 'x'], ['echo', 'ok'], ['echo', 'fail'], ['sleep', '1'], ['wait'], ['uptime']],
  );
  t.same(p.operators, ['|', '&&', '||', ';', '&', '\n']);
  t.equal(p.incomplete, false);
  t.same(parseShell('a |& b ;; c').operators, ['|&', ';;']);
  t.same(parseShell('(cd /tmp && ls) | wc -l').commands.map((c) => c.argv), [['cd', '/tmp'], ['ls'], ['wc', '-l']]);
  t.same(parseShell('if true; then rm x; fi').commands.map((c) => c.argv), [['true'], ['rm', 'x']], 'reserved words are not programs');
  t.same(parseShell('! grep -q x f && { echo a; }').commands.map((c) => c.argv), [['grep', '-q', 'x', 'f'], ['echo', 'a']]);
  t.same(parseShell('for i in a b; do echo $i; done').commands[0]!.argv, ['for', 'i', 'in', 'a', 'b'], 'for stays visible as argv[0]');
  t.equal(parseShell('ls |').incomplete, true, 'dangling pipe');
  t.equal(parseShell('ls &&').incomplete, true, 'dangling &&');
  t.equal(parseShell('ls && ;').incomplete, true, 'operator without a command');
  t.equal(parseShell('ls &&\nid').incomplete, false, 'newline after && continues the list');
  t.same(parseShell('').commands, []);
  t.same(parseShell('   # only a comment').commands, []);
});

t.test('parseShell: assignments and redirections', async (t) => {
  const p = parseShell('FOO=1 BAR="a b" cmd x > out.txt 2>&1 < in.txt >> log 2>/dev/null &> all <<< "str"');
  t.same(p.commands[0]!.assignments, ['FOO=1', 'BAR=a b']);
  t.same(p.commands[0]!.argv, ['cmd', 'x']);
  t.same(
    p.commands[0]!.redirects.map((r) => [r.op, r.target]),
    [['>', 'out.txt'], ['2>&', '1'], ['<', 'in.txt'], ['>>', 'log'], ['2>', '/dev/null'], ['&>', 'all'], ['<<<', 'str']],
  );
  t.same(parseShell('"A=1" cmd').commands[0]!.argv, ['A=1', 'cmd'], 'a quoted NAME=value is a word, not an assignment');
  t.same(parseShell('cmd A=1').commands[0]!.argv, ['cmd', 'A=1'], 'after the program NAME=value is an argument');
  t.same(parseShell('> /tmp/x').commands[0]!.redirects, [{ op: '>', target: '/tmp/x', dynamic: false }]);
  t.same(parseShell('echo > $HOME/x').commands[0]!.redirects, [{ op: '>', target: '$HOME/x', dynamic: true }]);
  t.equal(parseShell('echo >').incomplete, true, 'redirection without target');
  t.equal(parseShell('echo >|f').commands[0]!.redirects[0]!.op, '>|');
  const h = parseShell('cat <<EOF\nhello $USER\nEOF\nls');
  t.same(h.commands.map((c) => c.argv), [['cat'], ['ls']], 'here-document body is not parsed as commands');
  t.same(h.commands[0]!.redirects, [{ op: '<<', target: 'EOF', dynamic: false }]);
  t.equal(h.incomplete, false);
  t.same(parseShell('cat <<-"END"\n\t$(id)\n\tEND\nuptime').commands.map((c) => c.argv), [['cat'], ['uptime']]);
  t.equal(parseShell('cat <<EOF\nno end').incomplete, true, 'unterminated here-document');
});

t.test('parseShell: substitutions', async (t) => {
  const p = parseShell('echo $(date +%s) `id` "$(whoami)" <(ls) $((1+2)) ${x:-$(pwd)}');
  t.same(p.substitutions, ['$(date +%s)', '`id`', '$(whoami)', '<(ls)', '$((1+2))', '$(pwd)']);
  t.same(
    p.commands.map((c) => c.argv[0]),
    ['echo', 'date', 'id', 'whoami', 'ls', 'pwd'],
    'commands inside substitutions are listed too',
  );
  t.same(p.commands[0]!.dynamic, [false, true, true, true, true, true, true]);
  t.same(parseShell('echo $(echo $(echo deep))').substitutions, ['$(echo deep)', '$(echo $(echo deep))']);
  t.same(parseShell("echo '$(not)' \"\\$(not)\" \\$(not)").substitutions, [], 'quoted and escaped $( are literal');
  t.equal(parseShell('echo $(id').incomplete, true);
  t.equal(parseShell('echo `id').incomplete, true);
  const c = parseShell('echo $(case $x in a|b) echo one;; (c) echo two;; esac) done');
  t.equal(c.incomplete, false, 'a case pattern ) does not close $( )');
  t.same(c.substitutions, ['$(case $x in a|b) echo one;; (c) echo two;; esac)']);
  t.same(c.commands.map((x) => x.argv), [['echo', c.substitutions[0], 'done'], ['case', '$x', 'in'], ['echo', 'one'], ['echo', 'two']]);
  t.same(parseShell('case "$1" in\n  start) run;;\n  *) usage\nesac\nls').commands.map((x) => x.argv), [['case', '$1', 'in'], ['run'], ['usage'], ['ls']]);
  const deep = '$('.repeat(500) + 'x' + ')'.repeat(500);
  const d = parseShell(deep);
  t.equal(d.incomplete, true, 'nesting past the limit is marked incomplete, not a stack overflow');
});

t.test('parseShell: quoting and dequoting', async (t) => {
  const words = (s: string): string[] => parseShell(s).commands[0]!.argv;
  t.same(words(`echo 'a b' "c d" e\\ f`), ['echo', 'a b', 'c d', 'e f']);
  t.same(words(`echo "O'Brien" 'say "hi"'`), ['echo', "O'Brien", 'say "hi"']);
  t.same(words(`echo "a\\"b" "\\$x" "\\q"`), ['echo', 'a"b', '$x', '\\q']);
  t.same(words(`echo $'a\\nb\\x41\\'' $"loc"`), ['echo', 'a\nbA\'', 'loc']);
  t.same(words(`echo a"b"'c'd`), ['echo', 'abcd']);
  t.same(words('echo a\\\nb'), ['echo', 'ab'], 'line continuation');
  t.same(words('echo #x'), ['echo']);
  t.same(words('echo a#b'), ['echo', 'a#b'], '# inside a word is not a comment');
  t.same(words('echo "$HOME/x" ~/y *.txt {a,b}'), ['echo', '$HOME/x', '~/y', '*.txt', '{a,b}']);
  t.same(parseShell('echo "$HOME/x" ~/y *.txt {a,b} plain').commands[0]!.dynamic, [false, true, true, true, true, false]);
  t.same(parseShell('echo "$x" "plain" \'$y\'').commands[0]!.dynamic, [false, true, false, false], 'quoted expansions are still dynamic');
  t.equal(parseShell("echo 'open").incomplete, true);
  t.equal(parseShell('echo "open').incomplete, true);
  t.equal(parseShell('echo trailing\\').incomplete, false, 'a trailing backslash is literal');
});

function kinds(s: string): string[] {
  return shellTokens(s)
    .filter((x) => x.kind !== 'blank')
    .map((x) => `${x.kind}:${s.slice(x.start, x.end)}${x.quoted && x.kind !== 'word' ? ':q' : ''}`);
}

t.test('shellTokens: kinds, spans and quoting', async (t) => {
  t.same(kinds('ls -la; id'), ['word:ls', 'word:-la', 'operator:;', 'word:id']);
  t.same(kinds('a && b || c | d & e'), ['word:a', 'operator:&&', 'word:b', 'operator:||', 'word:c', 'operator:|', 'word:d', 'operator:&', 'word:e']);
  t.same(kinds('x 2>err >>out <in &>all'), ['word:x', 'redirect:2>', 'word:err', 'redirect:>>', 'word:out', 'redirect:<', 'word:in', 'redirect:&>', 'word:all']);
  t.same(kinds('echo "$X $(id) `w`"'), ['word:echo', 'word:"$X $(id) `w`"', 'quote:"$X $(id) `w`"', 'variable:$X:q', 'substitution:$(id):q', 'word:id', 'substitution:`w`:q', 'word:w']);
  t.same(kinds("echo '$X $(id)'"), ['word:echo', "word:'$X $(id)'", "quote:'$X $(id)'"]);
  t.same(kinds('echo a*b [ab] c? {x,y} ~u'), ['word:echo', 'word:a*b', 'glob:*', 'word:[ab]', 'glob:[ab]', 'word:c?', 'glob:?', 'word:{x,y}', 'brace:{x,y}', 'word:~u', 'tilde:~u']);
  t.same(kinds('echo x # note'), ['word:echo', 'word:x', 'comment:# note']);
  t.same(kinds('echo \\; ok'), ['word:echo', 'word:\\;', 'escape:\\;', 'word:ok']);
  t.same(kinds('echo ${A:-b}'), ['word:echo', 'word:${A:-b}', 'variable:${A:-b}']);
  t.same(kinds('echo <(ls) >(cat)'), ['word:echo', 'word:<(ls)', 'substitution:<(ls)', 'word:ls', 'word:>(cat)', 'substitution:>(cat)', 'word:cat']);
  t.same(kinds('a\nb'), ['word:a', 'operator:\n', 'word:b']);

  const src = 'ls "my dir" a';
  const toks = shellTokens(src);
  const word = toks.find((x) => x.kind === 'word' && x.value === 'my dir')!;
  t.same([word.start, word.end, word.quoted, word.role, word.valueStart], [3, 11, true, 'argument', 4]);
  const blanks = toks.filter((x) => x.kind === 'blank');
  t.same(blanks.map((b) => b.separates), [true, true]);
  t.same(shellTokens('ls  ').filter((x) => x.kind === 'blank').map((b) => b.separates), [undefined], 'trailing blanks separate nothing');
  const sub = shellTokens('echo $(id)').find((x) => x.kind === 'substitution')!;
  t.same([sub.start, sub.end, sub.open, sub.close], [5, 10, 2, 1]);
  const inner = shellTokens('echo $(id)').find((x) => x.kind === 'word' && x.value === 'id')!;
  t.equal(inner.depth, 1);
  t.equal(inner.role, 'command');
  const eoo = shellTokens('rm -- -rf').find((x) => x.value === '-rf')!;
  t.equal(eoo.endOfOptions, true);
});

/** Small deterministic PRNG so a failing fuzz case can be reproduced from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [..."ab -_./;&|()<>$`'\"\\\n\t#*?[]{},~=!0129"].concat(['$(', '${', '<<', 'EOF', '$((', '`', '))', 'é', '😀', '\u0000']);

function randomCommand(rand: () => number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

/** A description of the first malformed token span, if any. */
function badSpan(src: string, toks: ShellToken[]): string | undefined {
  for (const k of toks) {
    const ok = k.start >= 0 && k.start <= k.end && k.end <= src.length && k.open >= 0 && k.close >= 0 && k.close <= k.end - k.start;
    if (!ok) return `bad span ${JSON.stringify(k)} for ${JSON.stringify(src)}`;
  }
  return undefined;
}

t.test('fuzz: parser and detector never throw', async (t) => {
  const rand = prng(20240601);
  let n = 0;
  for (let i = 0; i < 5000; i++) {
    const src = randomCommand(rand, 1 + Math.floor(rand() * 40));
    let toks: ShellToken[] = [];
    try {
      parseShell(src);
      toks = shellTokens(src);
    } catch (err) {
      t.fail(`parser threw on ${JSON.stringify(src)}: ${String(err)}`);
      continue;
    }
    const bad = badSpan(src, toks);
    if (bad !== undefined) {
      t.fail(bad);
      continue;
    }
    const a = Math.floor(rand() * src.length);
    const b = a + Math.floor(rand() * (src.length - a + 1));
    const inputs: TaintInput[] = [input(src.slice(a, b)), input(randomCommand(rand, 3))];
    const res: SpawnResource[] = [
      { file: '/bin/sh', args: ['-c', src], shell: true, command: src },
      { file: 'sh', args: ['-c', src], shell: false },
      { file: 'git', args: ['clone', src], shell: false },
    ];
    for (const r of res) {
      try {
        detectCommandInjection(r, inputs);
      } catch (err) {
        t.fail(`detector threw on ${JSON.stringify(src)}: ${String(err)}`);
      }
    }
    n++;
  }
  t.equal(n, 5000, 'all random commands parsed and checked');
});

t.test('large inputs stay bounded', async (t) => {
  // Work grows with the input, not its square: these finish quickly even at 200k characters.
  const big = 'a'.repeat(100_000) + ';' + 'b'.repeat(100_000);
  t.equal(parseShell(big).commands.length, 2);
  const quotes = "'".repeat(50_001);
  t.equal(parseShell(quotes).incomplete, true);
  const nestedQuotes = '"$(echo "'.repeat(2000);
  t.equal(parseShell(nestedQuotes).incomplete, true);
  const braces = '{'.repeat(50_000) + ','.repeat(10) + '}'.repeat(50_000);
  t.ok(shellTokens(braces).length > 0);
  const here = 'cat <<x\n' + 'y\n'.repeat(50_000);
  t.equal(parseShell(here).incomplete, true);
  const f = detectCommandInjection({ file: '/bin/sh', args: [], shell: true, command: 'ls ' + big }, [input(big)]);
  t.match(f?.reason, 'operator');
});
