import type { Detector, Finding, SpawnResource, TaintInput } from '../types';
import { overlaps, spansOf, type Overlap } from '../taint/overlap';
import { analyseShell, asShellReads, type ShellToken } from './shell';

/**
 * Command injection: does an untrusted input change what a spawned process
 * does? With a shell, the input must stay data inside one word (no operators,
 * substitutions, expansions, redirections, new words, quote breakouts). Without
 * a shell, an argv element is already one word, so the risk is the input
 * choosing the program or supplying an option (`--upload-pack=…`), or reaching
 * the script of an interpreter (`sh -c`, `node -e`).
 */

/**
 * Single characters are ignored: a lone `|` or `1` in some request field
 * matches the app's own text far more often than it is an attack, and one
 * character cannot add both an operator and a command.
 */
const MIN_LENGTH = 2;
/** Nested interpreters (`sudo sh -c "bash -c '…'"`) are followed this deep. */
const MAX_NESTING = 3;
const SHOW = 40;

interface Hit {
  reason: string;
  token: string;
}

export const detectCommandInjection: Detector<'process.spawn'> = (resource, inputs) => {
  if (inputs.length === 0) return undefined;
  return resource.shell ? checkShellResource(resource, inputs) : checkArgv(resource.file, resource.args, inputs, false, 0);
};

function checkShellResource(resource: SpawnResource, inputs: readonly TaintInput[]): Finding | undefined {
  const command = resource.command ?? resource.args[resource.args.length - 1] ?? '';
  const found = overlaps(command, inputs, MIN_LENGTH);
  if (found.length === 0) return undefined;
  // On Windows `shell: true` means cmd.exe, whose quoting and metacharacters differ from sh.
  if (programName(resource.file) === 'cmd') return checkCmdCommand(command, found, true, undefined, 'cmd');
  return checkShellCommand(command, inputs, true, 0, undefined, found);
}

/**
 * cmd.exe rules: `"` toggles quoting and `^` escapes outside quotes. Inside
 * quotes only `"`, `%`, `!` and newlines matter; outside, anything beyond
 * word characters (`& | < > ^ ( ) % ! , ; =` and spaces) can change the line.
 */
function checkCmdCommand(
  command: string,
  found: readonly Overlap[],
  shell: boolean,
  argIndex: number | undefined,
  program: string,
): Finding | undefined {
  for (const o of found) {
    if (o.direction === 'payload-in-input') {
      if (command.indexOf(' ') > 0) return finding(o.input, 'input contains the whole cmd command line', shortText(command), shell, argIndex);
      continue;
    }
    for (const sp of o.spans) {
      let quoted = false;
      for (let i = 0; i < sp.start; i++) {
        const c = command.charCodeAt(i);
        if (c === 34) quoted = !quoted;
        else if (c === 94 && !quoted) i++;
      }
      for (let i = sp.start; i < sp.end; i++) {
        const c = command.charCodeAt(i);
        const bad = quoted ? c === 34 || c === 37 || c === 33 || c === 10 || c === 13 : !isCmdWordChar(c);
        if (bad) {
          const ch = command[i]!;
          const where = argIndex === undefined ? '' : ` in the ${program} script at argv[${argIndex}]`;
          const f = finding(o.input, `input carries cmd metacharacter ${JSON.stringify(ch)}${where}`, ch, shell, argIndex);
          if (argIndex !== undefined) f.detail!['interpreter'] = program;
          return f;
        }
      }
    }
  }
  return undefined;
}

function isCmdWordChar(c: number): boolean {
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 0x80) return true;
  // _ - . : @ / \ and `+`, `#`, `~`, `$`, `'`, `{`, `}`, `[`, `]` are plain in cmd.exe
  return c === 95 || c === 45 || c === 46 || c === 58 || c === 64 || c === 47 || c === 92 || c === 43 || c === 35 || c === 126 || c === 36 || c === 39 || c === 123 || c === 125 || c === 91 || c === 93;
}

/**
 * Shell rules on `command`. `argIndex` is set when the command is itself an
 * argv element (the script of `sh -c`), so the finding can point at it.
 */
function checkShellCommand(
  command: string,
  inputs: readonly TaintInput[],
  shell: boolean,
  nesting: number,
  argIndex: number | undefined,
  found: readonly Overlap[] = overlaps(command, inputs, MIN_LENGTH),
): Finding | undefined {
  if (found.length === 0) return undefined;
  const analysis = analyseShell(command);
  const where = argIndex === undefined ? '' : ` in the script at argv[${argIndex}]`;
  for (const o of found) {
    if (o.direction === 'payload-in-input') {
      const t = structureOf(analysis.tokens);
      if (t !== undefined) {
        return finding(o.input, `input contains the whole shell command (${t})${where}`, shortText(command), shell, argIndex);
      }
      continue;
    }
    for (const span of o.spans) {
      const hit = classifySpan(command, analysis.tokens, span.start, span.end);
      if (hit !== undefined) return finding(o.input, hit.reason + where, hit.token, shell, argIndex);
    }
  }
  // Spans above are the app's text; the shell reads it without its backslash-newlines (asShellReads): judge
  // that too, with the inputs read the same way.
  const read = asShellReads(command);
  if (read !== command) {
    const f = checkShellCommand(read, splicedForms(inputs), shell, nesting, argIndex);
    if (f !== undefined) {
      f.input = originalInput.get(f.input) ?? f.input;
      return f;
    }
  }
  // The shell sees the script of a nested `sh -c '…'` as one quoted word; follow it.
  if (nesting < MAX_NESTING) {
    let nestedInputs: readonly TaintInput[] | undefined;
    for (const cmd of analysis.parse.commands) {
      if (cmd.argv.length < 2) continue;
      nestedInputs ??= withDequotedForms(inputs);
      const f = checkArgv(cmd.argv[0]!, cmd.argv.slice(1), nestedInputs, shell, nesting + 1, true);
      if (f !== undefined) {
        f.input = originalInput.get(f.input) ?? f.input;
        return f;
      }
    }
  }
  return undefined;
}

/** Dequoted forms point back at the input the request actually carried. */
const originalInput = new WeakMap<TaintInput, TaintInput>();

/**
 * The outer shell removes backslashes before handing a word to `sh -c`, so an
 * input like `\$(id)` reaches the inner shell as `$(id)`. Add those forms.
 */
function withDequotedForms(inputs: readonly TaintInput[]): readonly TaintInput[] {
  let out: TaintInput[] | undefined;
  for (const input of inputs) {
    if (input.value.indexOf('\\') === -1) continue;
    out ??= inputs.slice();
    for (const value of [unescape(input.value, true), unescape(input.value, false)]) {
      if (value === input.value || value.length < MIN_LENGTH) continue;
      const form: TaintInput = { source: input.source, value, decoding: input.decoding };
      originalInput.set(form, input);
      out.push(form);
    }
  }
  return out ?? inputs;
}

/** Inputs with their backslash-newlines removed, as the shell reads them (pointing back at the input carried). */
function splicedForms(inputs: readonly TaintInput[]): TaintInput[] {
  const out: TaintInput[] = [];
  for (const input of inputs) {
    const value = asShellReads(input.value);
    if (value === input.value) {
      out.push(input);
      continue;
    }
    const form: TaintInput = { source: input.source, value, decoding: input.decoding };
    originalInput.set(form, originalInput.get(input) ?? input);
    out.push(form);
  }
  return out;
}

/** Backslash removal as inside double quotes (only before $ ` " \\ newline) or unquoted (before anything). */
function unescape(v: string, inDoubleQuotes: boolean): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 92 && i + 1 < v.length) {
      const n = v.charCodeAt(i + 1);
      if (!inDoubleQuotes || n === 36 || n === 96 || n === 34 || n === 92 || n === 10) {
        i++;
        if (n !== 10) out += v[i];
        continue;
      }
    }
    out += v[i];
  }
  return out;
}

/** Why a command counts as more than a bare word, or undefined when it does not. */
function structureOf(tokens: readonly ShellToken[]): string | undefined {
  let words = 0;
  for (const t of tokens) {
    if (t.kind === 'operator' || t.kind === 'substitution' || t.kind === 'redirect') return t.kind;
    if (t.kind === 'word' && t.depth === 0) words++;
  }
  return words > 1 ? 'several words' : undefined;
}

const RANK_STRUCTURE = 0;
const RANK_WORD = 1;

/** The most telling way the input span [s, e) changes the command's structure, if any. */
function classifySpan(src: string, tokens: readonly ShellToken[], s: number, e: number): Hit | undefined {
  let best: Hit | undefined;
  let bestRank = 99;
  const keep = (rank: number, reason: string, t: ShellToken, text?: string): void => {
    if (rank < bestRank) {
      bestRank = rank;
      best = { reason, token: text ?? shortText(src.slice(t.start, t.end)) };
    }
  };
  for (const t of tokens) {
    if (t.end <= s || t.start >= e) continue;
    switch (t.kind) {
      case 'operator': {
        const op = src.slice(t.start, t.end);
        const shown = op === '\n' ? 'newline' : `'${op}'`;
        keep(RANK_STRUCTURE, `input adds shell operator ${shown}`, t, op === '\n' ? '\\n' : op);
        break;
      }
      case 'redirect':
        keep(RANK_STRUCTURE, `input adds redirection '${src.slice(t.start, t.end)}'`, t);
        break;
      case 'substitution':
        if (delimiterHit(t, s, e)) {
          keep(RANK_STRUCTURE, `input adds command substitution '${src.slice(t.start, t.start + t.open)}'`, t);
        }
        break;
      case 'variable':
        if (delimiterHit(t, s, e)) keep(RANK_STRUCTURE, `input adds variable expansion '${shortText(src.slice(t.start, t.end))}'`, t);
        break;
      case 'glob':
        if (delimiterHit(t, s, e)) keep(RANK_STRUCTURE, `input adds glob '${shortText(src.slice(t.start, t.end))}'`, t);
        break;
      case 'brace':
        if (delimiterHit(t, s, e)) keep(RANK_STRUCTURE, `input adds brace expansion '${shortText(src.slice(t.start, t.end))}'`, t);
        break;
      case 'tilde':
        keep(RANK_STRUCTURE, `input adds tilde expansion '${src.slice(t.start, t.end)}'`, t);
        break;
      case 'comment':
        if (s <= t.start) keep(RANK_STRUCTURE, 'input adds a comment', t);
        break;
      case 'quote':
      case 'heredoc': {
        const openIn = t.open > 0 && s < t.start + t.open && e > t.start;
        const closeIn = t.close > 0 && s < t.end && e > t.end - t.close;
        const breakout = t.close > 0 ? openIn !== closeIn : openIn;
        if (breakout) {
          const what = t.kind === 'heredoc' ? 'here-document' : `quote ${src.slice(t.start, t.start + t.open)}`;
          keep(RANK_STRUCTURE, `input breaks out of ${what}`, t, src.slice(closeIn ? t.end - t.close : t.start, closeIn ? t.end : t.start + t.open));
        }
        break;
      }
      case 'escape':
        if (s <= t.start && e < t.end) keep(RANK_STRUCTURE, 'input ends with a backslash that escapes the following character', t);
        break;
      case 'blank':
        if (t.separates === true && s <= t.start && t.end <= e) keep(RANK_STRUCTURE, 'input adds a new word (unquoted space)', t, ' ');
        break;
      case 'word':
        classifyWord(t, s, e, (reason, text) => keep(RANK_WORD, reason, t, text));
        break;
    }
    if (bestRank === RANK_STRUCTURE) break;
  }
  return best;
}

function classifyWord(t: ShellToken, s: number, e: number, report: (reason: string, text: string) => void): void {
  const value = t.value ?? '';
  if (t.role === 'command' || t.role === 'keyword') {
    report(`input chooses the program '${shortText(value)}'`, shortText(value));
    return;
  }
  if (t.role === 'assignment') {
    if (s < t.start + t.open) report(`input adds variable assignment '${shortText(value)}'`, shortText(value));
    return;
  }
  if (t.role === 'argument' && !t.endOfOptions && isOptionWord(value)) {
    const first = t.valueStart ?? -1;
    if (first >= s && first < e) report(`input injects option '${shortText(value)}'`, shortText(value));
  }
}

/** True when [s, e) overlaps the token's opening or closing delimiter. */
function delimiterHit(t: ShellToken, s: number, e: number): boolean {
  if (s < t.start + t.open && e > t.start) return true;
  return t.close > 0 && s < t.end && e > t.end - t.close;
}

/**
 * An argv element a program would read as an option. A lone `-` (stdin) and
 * negative numbers (`-90` for `-rotate`) are data for every common tool.
 */
export function isOptionWord(v: string): boolean {
  if (v.length < 2 || v.charCodeAt(0) !== 45) return false;
  let i = 1;
  let digits = 0;
  let dot = false;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 && !dot && digits > 0) dot = true;
    else return true;
  }
  return digits === 0;
}

/**
 * Argv rules. `nested` means the argv came from a parsed shell command, where
 * the shell rules already covered program choice and options; only the
 * scripts of interpreters are left to check.
 */
function checkArgv(
  file: string,
  args: readonly string[],
  inputs: readonly TaintInput[],
  shell: boolean,
  nesting: number,
  nested = false,
): Finding | undefined {
  let plan: ArgvPlan | undefined;
  if (nested) {
    plan = planArgv(file, args);
    if (plan.scripts.length === 0) return undefined;
  }
  for (const input of inputs) {
    const v = input.value;
    if (v.length < MIN_LENGTH) continue;
    if (!nested && v.length <= file.length) {
      // Program choice: the input supplies the start of the program's base name.
      const base = baseNameStart(file);
      for (const sp of spansOf(file, v)) {
        if (sp.start <= base && sp.end > base) {
          return finding(input, `input chooses the program '${shortText(file)}'`, shortText(file), shell, 0);
        }
      }
    }
    for (let i = 0; i < args.length; i++) {
      const el = args[i]!;
      if (v.length > el.length || el.indexOf(v) === -1) continue;
      plan ??= planArgv(file, args);
      const f = checkElement(el, i + 1, input, plan, shell, nesting, nested);
      if (f !== undefined) return f;
    }
    if (!nested && args.length > 0 && v.length > file.length + args.length) {
      // A template or splitter cut the whole argv out of one input.
      const joined = file + ' ' + args.join(' ');
      if (v.length >= joined.length && v.includes(joined)) {
        return finding(input, 'input contains the whole command line', shortText(joined), shell, undefined);
      }
    }
  }
  return undefined;
}

/** One argv element (argv[index], program at 0) that contains the input. */
function checkElement(
  el: string,
  index: number,
  input: TaintInput,
  plan: ArgvPlan,
  shell: boolean,
  nesting: number,
  nested: boolean,
): Finding | undefined {
  const v = input.value;
  if (!nested && plan.programs.includes(index)) {
    const base = baseNameStart(el);
    for (const sp of spansOf(el, v)) {
      if (sp.start <= base && sp.end > base) {
        return finding(input, `input chooses the program '${shortText(el)}' at argv[${index}]`, shortText(el), shell, index);
      }
    }
    return undefined;
  }
  const sc = plan.scripts.find((x) => x.index === index);
  if (sc !== undefined) {
    if (sc.kind === 'cmd' && sc.program === 'cmd') return checkCmdCommand(el, overlaps(el, [input], MIN_LENGTH), shell, index, sc.program);
    if (sc.kind === 'posix') {
      if (nesting >= MAX_NESTING) return undefined;
      const f = checkShellCommand(el, [input], shell, nesting + 1, index);
      if (f !== undefined) f.detail!['interpreter'] = sc.program;
      return f;
    }
    const bad = firstUnsafe(v, sc.kind);
    if (bad < 0 && v.length < el.length) return undefined;
    const token = bad >= 0 ? v[bad]! : v;
    const why = bad >= 0 ? `carries ${JSON.stringify(token)}` : 'is the whole script';
    const f = finding(input, `input ${why} into the ${sc.program} script at argv[${index}]`, shortText(token), shell, index);
    f.detail!['interpreter'] = sc.program;
    return f;
  }
  if (!nested && el.startsWith(v) && isOptionWord(el) && !plan.dataOnly.has(index)) {
    return finding(input, `input injects option '${shortText(el)}' into argv[${index}]`, shortText(el), shell, index);
  }
  return undefined;
}

function baseNameStart(file: string): number {
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return slash + 1;
}

/**
 * Characters an input may carry into an inline script (node -e, python -c,
 * cmd /c) without being able to leave a string literal or start a statement.
 * Anything else is reported: these languages are not parsed here.
 */
function firstUnsafe(v: string, kind: 'code' | 'cmd'): number {
  let space = -1;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 0x80) continue;
    // _ - . , : @
    if (c === 95 || c === 45 || c === 46 || c === 44 || c === 58 || c === 64) continue;
    if (c === 47 || (kind === 'cmd' && c === 92)) continue;
    if (c === 32) {
      // A space only adds a word in cmd/powershell; report a more telling character if there is one.
      if (kind === 'cmd' && space < 0) space = i;
      continue;
    }
    return i;
  }
  return space;
}

function shortText(s: string): string {
  return s.length <= SHOW ? s : s.slice(0, SHOW - 1) + '…';
}

function finding(
  input: TaintInput,
  reason: string,
  token: string,
  shell: boolean,
  argIndex: number | undefined,
): Finding {
  const detail: Record<string, string | number | boolean> = { shell, token };
  if (argIndex !== undefined) detail['argIndex'] = argIndex;
  return { kind: 'command_injection', input, reason, detail };
}

// ---------------------------------------------------------------------------
// Which argv elements are programs, scripts or plain data.

export type ScriptKind = 'posix' | 'code' | 'cmd';

export interface ArgvPlan {
  /** argv indices (args[i] is argv[i + 1]) that name a program run by a wrapper (sudo, env, xargs, …). */
  programs: number[];
  /** argv indices after a `--`: options are over, so a leading '-' is data. */
  dataOnly: Set<number>;
  /** argv indices holding an inline script and how to read it. */
  scripts: Array<{ index: number; kind: ScriptKind; program: string }>;
}

interface Wrapper {
  /** Short/long options that take the next element as their value. */
  values: readonly string[];
  /** Positional operands before the command (timeout's duration, chroot's directory). */
  positionals: number;
  /** env: NAME=value operands before the command. */
  assignments?: boolean;
}

/** Programs that run another program named in their argv. */
const WRAPPERS: Record<string, Wrapper> = {
  env: { values: ['-u', '--unset', '-C', '--chdir'], positionals: 0, assignments: true },
  sudo: { values: ['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-T', '--user', '--group'], positionals: 0 },
  doas: { values: ['-u', '-C'], positionals: 0 },
  nice: { values: ['-n', '--adjustment'], positionals: 0 },
  nohup: { values: [], positionals: 0 },
  setsid: { values: [], positionals: 0 },
  time: { values: ['-f', '-o', '--format', '--output'], positionals: 0 },
  timeout: { values: ['-s', '-k', '--signal', '--kill-after'], positionals: 1 },
  stdbuf: { values: ['-i', '-o', '-e'], positionals: 0 },
  chroot: { values: [], positionals: 1 },
  ionice: { values: ['-c', '-n', '--class', '--classdata'], positionals: 0 },
  taskset: { values: [], positionals: 1 },
  xargs: { values: ['-a', '-d', '-E', '-I', '-L', '-n', '-P', '-s', '--arg-file', '--delimiter', '--max-args', '--max-procs'], positionals: 0 },
  strace: { values: ['-o', '-e', '-p', '-s', '-u', '-E', '-a', '-b', '-I', '-O', '-S', '-P', '-X'], positionals: 0 },
  command: { values: [], positionals: 0 },
  exec: { values: ['-a'], positionals: 0 },
};

const POSIX_SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh', 'yash', 'fish', 'rbash']);

/** Interpreters whose option takes inline code as its value. */
const CODE_OPTIONS: Record<string, readonly string[]> = {
  node: ['-e', '--eval', '-p', '--print', '-pe'],
  nodejs: ['-e', '--eval', '-p', '--print', '-pe'],
  bun: ['-e', '--eval', '-p', '--print'],
  python: ['-c'],
  pypy: ['-c'],
  perl: ['-e', '-E'],
  ruby: ['-e'],
  php: ['-r'],
  lua: ['-e'],
  luajit: ['-e'],
  rscript: ['-e'],
  osascript: ['-e'],
  tclsh: [],
  jshell: [],
};

/** awk-like tools: the first operand is the program unless -f names a file. */
const AWKS = new Set(['awk', 'gawk', 'mawk', 'nawk', 'busybox-awk']);

/** Lower-case base name without .exe and version suffix: /usr/bin/python3.11 → python. */
export function programName(file: string): string {
  let name = file.slice(baseNameStart(file)).toLowerCase();
  if (name.endsWith('.exe')) name = name.slice(0, -4);
  let end = name.length;
  while (end > 1) {
    const c = name.charCodeAt(end - 1);
    if ((c >= 48 && c <= 57) || c === 46) end--;
    else break;
  }
  return end > 0 ? name.slice(0, end) : name;
}

export function planArgv(file: string, args: readonly string[]): ArgvPlan {
  const plan: ArgvPlan = { programs: [], dataOnly: new Set(), scripts: [] };
  let prog = file;
  let from = 0;
  for (let hop = 0; hop < 4; hop++) {
    const name = programName(prog);
    const w = WRAPPERS[name];
    if (w !== undefined) {
      const at = wrappedCommand(args, from, w);
      if (at < 0) break;
      plan.programs.push(at + 1);
      prog = args[at]!;
      from = at + 1;
      continue;
    }
    planInterpreter(name, args, from, plan);
    markEndOfOptions(args, from, plan);
    break;
  }
  return plan;
}

function markEndOfOptions(args: readonly string[], from: number, plan: ArgvPlan): void {
  let after = false;
  for (let i = from; i < args.length; i++) {
    if (after) plan.dataOnly.add(i + 1);
    else if (args[i] === '--') after = true;
  }
}

/** Index in args of the command a wrapper runs, or -1. */
function wrappedCommand(args: readonly string[], from: number, w: Wrapper): number {
  let positionals = w.positionals;
  for (let i = from; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return i + 1 < args.length ? i + 1 : -1;
    if (a.length > 1 && a.charCodeAt(0) === 45) {
      if (w.values.includes(a)) i++;
      continue;
    }
    if (w.assignments === true && a.indexOf('=') > 0) continue;
    if (positionals > 0) {
      positionals--;
      continue;
    }
    return i;
  }
  return -1;
}

function addScripts(plan: ArgvPlan, from: number, to: number, kind: ScriptKind, program: string): void {
  for (let i = from; i < to; i++) plan.scripts.push({ index: i + 1, kind, program });
}

function planInterpreter(name: string, args: readonly string[], from: number, plan: ArgvPlan): void {
  const n = args.length;
  if (POSIX_SHELLS.has(name) || name === 'busybox') {
    let i = from;
    if (name === 'busybox') {
      if (args[i] !== 'sh' && args[i] !== 'ash') return;
      i++;
    }
    let hasC = false;
    for (; i < n; i++) {
      const a = args[i]!;
      if (a === '--') {
        i++;
        break;
      }
      const c0 = a.charCodeAt(0);
      if (a.length < 2 || (c0 !== 45 && c0 !== 43)) break;
      if (a === '-o' || a === '+o' || a === '-O' || a === '+O') {
        i++;
        continue;
      }
      if (a.charCodeAt(1) !== 45 && a.indexOf('c') > 0) hasC = true;
      if (a === '--command' || a === '-command') hasC = true;
    }
    if (hasC && i < n) addScripts(plan, i, i + 1, 'posix', name);
    return;
  }
  if (name === 'su' || name === 'runuser') {
    for (let i = from; i < n; i++) {
      const a = args[i]!;
      if ((a === '-c' || a === '--command') && i + 1 < n) addScripts(plan, i + 1, i + 2, 'posix', name);
      else if (a.startsWith('--command=')) addScripts(plan, i, i + 1, 'posix', name);
    }
    return;
  }
  if (name === 'ssh') {
    // Everything after the destination is one command line for the remote shell.
    const valued = '-b-c-D-E-e-F-I-i-J-L-l-m-O-o-p-Q-R-S-W-w-B';
    for (let i = from; i < n; i++) {
      const a = args[i]!;
      if (a === '--') {
        if (i + 2 <= n) addScripts(plan, i + 2, n, 'posix', name);
        return;
      }
      if (a.length > 1 && a.charCodeAt(0) === 45) {
        if (a.length === 2 && valued.includes(a)) i++;
        continue;
      }
      addScripts(plan, i + 1, n, 'posix', name);
      return;
    }
    return;
  }
  if (name === 'watch') {
    const valued = ['-n', '--interval', '-d', '-q'];
    for (let i = from; i < n; i++) {
      const a = args[i]!;
      if (a.length > 1 && a.charCodeAt(0) === 45 && a !== '--') {
        if (valued.includes(a) && a !== '-d') i++;
        continue;
      }
      addScripts(plan, a === '--' ? i + 1 : i, n, 'posix', name);
      return;
    }
    return;
  }
  if (name === 'cmd') {
    for (let i = from; i < n; i++) {
      const a = args[i]!.toLowerCase();
      if (a === '/c' || a === '/k' || a === '/r') {
        addScripts(plan, i + 1, n, 'cmd', name);
        return;
      }
    }
    return;
  }
  if (name === 'powershell' || name === 'pwsh') {
    for (let i = from; i < n; i++) {
      const a = args[i]!.toLowerCase();
      if (a.length >= 2 && (a.charCodeAt(0) === 45 || a.charCodeAt(0) === 47)) {
        const opt = a.slice(1);
        if ('command'.startsWith(opt) || ('encodedcommand'.startsWith(opt) && opt.length >= 1 && opt[0] === 'e') || opt === 'ec') {
          addScripts(plan, i + 1, n, 'cmd', name);
          return;
        }
        continue;
      }
      // A bare first operand is a script file (-File is the default); its arguments are data.
      return;
    }
    return;
  }
  if (AWKS.has(name)) {
    for (let i = from; i < n; i++) {
      const a = args[i]!;
      if (a === '--') {
        if (i + 1 < n) addScripts(plan, i + 1, i + 2, 'code', name);
        return;
      }
      if (a === '-f' || a.startsWith('--file')) return;
      if (a.length > 1 && a.charCodeAt(0) === 45) {
        if (a === '-F' || a === '-v') i++;
        continue;
      }
      addScripts(plan, i, i + 1, 'code', name);
      return;
    }
    return;
  }
  if (name === 'deno') {
    if (args[from] === 'eval') {
      for (let i = from + 1; i < n; i++) {
        if (!args[i]!.startsWith('-')) {
          addScripts(plan, i, i + 1, 'code', name);
          return;
        }
      }
    }
    return;
  }
  const opts = CODE_OPTIONS[name];
  if (opts === undefined) return;
  for (let i = from; i < n; i++) {
    const a = args[i]!;
    if (a === '--') return;
    if (opts.includes(a) || isCodeCluster(name, a)) {
      if (i + 1 < n) addScripts(plan, i + 1, i + 2, 'code', name);
      return;
    }
    const eq = a.indexOf('=');
    if (eq > 0 && opts.includes(a.slice(0, eq))) {
      addScripts(plan, i, i + 1, 'code', name);
      return;
    }
    // The first operand is a script file; the rest are its arguments (data).
    if (a.length === 0 || a.charCodeAt(0) !== 45) return;
  }
}

/** perl -ne / -lane / python -Ic: a short option cluster ending in the code flag. */
function isCodeCluster(name: string, a: string): boolean {
  if (a.length < 3 || a.charCodeAt(0) !== 45 || a.charCodeAt(1) === 45) return false;
  const last = a[a.length - 1];
  if (name === 'perl') return last === 'e' || last === 'E';
  if (name === 'python' || name === 'pypy') return last === 'c';
  if (name === 'ruby') return last === 'e';
  return false;
}
