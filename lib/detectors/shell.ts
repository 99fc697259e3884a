/**
 * A small POSIX sh tokenizer and parser (with the bash extensions an attacker
 * would reach for: `$'…'`, `<(…)`, `&>`, `|&`, `<<<`, brace expansion). It is
 * shared by the command-injection detector, which needs token spans and
 * quoting, and by the policy engine, which needs the programs, substitutions
 * and redirections of a command. One left-to-right pass, no regexes, bounded
 * recursion; it never throws, and anything it cannot close sets `incomplete`.
 */

export type ShellTokenKind =
  /** A whole word; the span includes its quotes. */
  | 'word'
  /** A run of unquoted spaces/tabs. */
  | 'blank'
  /** Control operator: ; & && || | |& ;; ;& ;;& ( ) and newline. */
  | 'operator'
  /** Redirection operator, with its io number: > >> < << <<- <<< <> >| >& <& &> &>> 2> ... */
  | 'redirect'
  /** Region: $( … ), ` … `, <( … ), >( … ), $(( … )). */
  | 'substitution'
  /** $NAME, $1, $@, … or the region ${ … }. */
  | 'variable'
  /** Unquoted ~ or ~user at the start of a word. */
  | 'tilde'
  /** Unquoted * or ?, or the region [ … ]. */
  | 'glob'
  /** Region {a,b} or {1..3} (bash brace expansion). */
  | 'brace'
  /** Region '…', "…", $'…', $"…". */
  | 'quote'
  /** A backslash and the character it escapes (or a line continuation). */
  | 'escape'
  /** From an unquoted # at a word start to the end of the line. */
  | 'comment'
  /** A here-document body, closed by its delimiter line. */
  | 'heredoc';

export type WordRole = 'command' | 'argument' | 'assignment' | 'keyword' | 'target';

export interface ShellToken {
  kind: ShellTokenKind;
  /** Span [start, end) in the source. */
  start: number;
  end: number;
  /**
   * Length of the opening delimiter at `start` ("$(" is 2, "'" is 1). For a
   * `$NAME` variable, glob char or operator it is the whole token; for
   * `${NAME…}` it covers "${NAME"; for an assignment word it covers "NAME=".
   */
  open: number;
  /** Length of the closing delimiter ending at `end`; 0 when unterminated or none. */
  close: number;
  /** Inside double quotes or a here-document (for words: the word uses some quoting). */
  quoted: boolean;
  /** Nesting level of substitutions and ${…} regions (0 = top level). */
  depth: number;
  /** Words: the dequoted value (expansions kept in their source form). */
  value?: string;
  /** Words: what the word is in its simple command. */
  role?: WordRole;
  /** Words: source index of the value's first character (-1 when the value is empty). */
  valueStart?: number;
  /** Words: a `--` argument came earlier in the same simple command. */
  endOfOptions?: boolean;
  /** Words: the value is decided at run time: an expansion or substitution (quoted or not), or an unquoted glob, brace or tilde. */
  dynamic?: boolean;
  /** Blanks: the run separates two words of one command (so it makes a word boundary). */
  separates?: boolean;
}

export interface ShellRedirect {
  /** Operator text including any io number: '>', '2>', '>>', '&>', '<', '<<', '2>&', ... */
  op: string;
  /** Dequoted target word (file, fd number, or here-document delimiter). */
  target: string;
  /** The target contains an expansion, glob or substitution, so its final value is unknown here. */
  dynamic: boolean;
}

export interface ShellCommand {
  /** Dequoted words; argv[0] is the program. Reserved words (if, then, {, !, …) are dropped. */
  argv: string[];
  /** Leading NAME=value words. */
  assignments: string[];
  redirects: ShellRedirect[];
  /** Parallel to argv: the word's final value is decided at run time (expansion, glob, substitution). */
  dynamic: boolean[];
}

export interface ShellParse {
  /** Every simple command in source order, including those nested in substitutions. */
  commands: ShellCommand[];
  /** Control operators in order ('\n' for newline). */
  operators: string[];
  /** Source text of every substitution: $(…), `…`, <(…), >(…), $((…)). */
  substitutions: string[];
  /** Unterminated quote/substitution/here-document, dangling operator, or nesting too deep. */
  incomplete: boolean;
}

export interface ShellAnalysis {
  tokens: ShellToken[];
  parse: ShellParse;
}

/** Deeper nesting than this is not analysed (the rest is marked incomplete) so recursion stays bounded. */
const MAX_DEPTH = 48;

const SP = 32, TAB = 9, NL = 10, BS = 92, SQ = 39, DQ = 34, BT = 96, DOLLAR = 36;
const LPAREN = 40, RPAREN = 41, LT = 60, GT = 62, AMP = 38, PIPE = 124, SEMI = 59, HASH = 35;
const STAR = 42, QMARK = 63, LBRACK = 91, RBRACK = 93, LBRACE = 123, RBRACE = 125, COMMA = 44;
const DOT = 46, TILDE = 126, EQ = 61, SLASH = 47;

/** Words that are syntax, not programs, when they stand first in a command. */
const RESERVED_PREFIX = new Set(['!', '{', '}', 'if', 'then', 'elif', 'else', 'fi', 'do', 'done', 'while', 'until', 'esac', 'time']);

function isBlank(c: number): boolean {
  return c === SP || c === TAB;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || isDigit(c);
}
/** Characters that end an unquoted word. */
function isMeta(c: number): boolean {
  return c === SP || c === TAB || c === NL || c === SEMI || c === AMP || c === PIPE || c === LPAREN || c === RPAREN || c === LT || c === GT;
}
function isSpecialParam(c: number): boolean {
  return c === 64 /* @ */ || c === STAR || c === HASH || c === QMARK || c === 45 /* - */ || c === DOLLAR || c === 33 /* ! */;
}

const enum Close {
  None,
  Paren,
}

interface PendingHeredoc {
  delim: string;
  strip: boolean;
  expand: boolean;
}

interface ListState {
  cmd: ShellCommand | null;
  endOfOptions: boolean;
  lastWasWord: boolean;
  /** The blank run after the last word; marked as separating if another word follows. */
  pendingBlank: ShellToken | null;
  /** A redirection operator still waiting for its target word. */
  redirectOp: string | null;
  /** After | && || the list needs another command. */
  needCommand: boolean;
  /** Open `case … in` statements in this list. */
  caseDepth: number;
  /** Reading case patterns up to their `)`, where `|` separates patterns and `)` closes nothing. */
  pattern: boolean;
}

interface WordInfo {
  token: ShellToken;
  value: string;
  assignable: boolean;
  hasQuote: boolean;
}

class Parser {
  readonly src: string;
  limit: number;
  pos = 0;
  depth = 0;
  /** Set by expansion parsers so the enclosing word can record that it is dynamic. */
  dyn = false;
  readonly tokens: ShellToken[] = [];
  readonly commands: ShellCommand[] = [];
  readonly operators: string[] = [];
  readonly substitutions: string[] = [];
  incomplete = false;
  heredocs: PendingHeredoc[] = [];
  /** Inside `…`, where \` opens or closes a nested substitution instead of being a literal backtick. */
  inBacktick = 0;

  constructor(src: string) {
    this.src = src;
    this.limit = src.length;
  }

  private code(i: number): number {
    return i < this.limit ? this.src.charCodeAt(i) : -1;
  }

  private tok(kind: ShellTokenKind, start: number, end: number, open: number, close: number, quoted: boolean): ShellToken {
    const t: ShellToken = { kind, start, end, open, close, quoted, depth: this.depth };
    this.tokens.push(t);
    return t;
  }

  /** Gives up on what is left of the current region when nesting is too deep. */
  private tooDeep(): boolean {
    if (this.depth < MAX_DEPTH) return false;
    this.incomplete = true;
    this.pos = this.limit;
    return true;
  }

  /** A list of commands up to `close` (a `)` at paren level 0) or the limit. Returns true when closed. */
  parseList(close: Close): boolean {
    const src = this.src;
    const st: ListState = {
      cmd: null,
      endOfOptions: false,
      lastWasWord: false,
      pendingBlank: null,
      redirectOp: null,
      needCommand: false,
      caseDepth: 0,
      pattern: false,
    };
    let parenDepth = 0;

    while (this.pos < this.limit) {
      const start = this.pos;
      const c = src.charCodeAt(start);

      if (isBlank(c)) {
        let i = start + 1;
        while (i < this.limit && isBlank(src.charCodeAt(i))) i++;
        const b = this.tok('blank', start, i, i - start, 0, false);
        st.pendingBlank = st.lastWasWord ? b : null;
        this.pos = i;
        continue;
      }
      if (c === NL) {
        this.operator(st, start, 1);
        if (this.heredocs.length > 0) this.readHeredocs();
        continue;
      }
      if (c === HASH) {
        let i = start;
        while (i < this.limit && src.charCodeAt(i) !== NL) i++;
        this.tok('comment', start, i, 1, 0, false);
        this.pos = i;
        continue;
      }
      if (c === RPAREN) {
        if (st.pattern) {
          this.operator(st, start, 1);
          st.pattern = false;
          continue;
        }
        if (close === Close.Paren && parenDepth === 0) {
          if (st.redirectOp !== null || st.needCommand) this.incomplete = true;
          this.pos = start + 1;
          return true;
        }
        if (parenDepth > 0) parenDepth--;
        this.operator(st, start, 1);
        continue;
      }
      if (c === LPAREN) {
        if (!st.pattern) parenDepth++;
        this.operator(st, start, 1);
        continue;
      }
      const n = this.code(start + 1);
      if (c === SEMI) {
        if (n === SEMI) this.operator(st, start, this.code(start + 2) === AMP ? 3 : 2);
        else this.operator(st, start, n === AMP ? 2 : 1);
        continue;
      }
      if (c === PIPE) {
        this.operator(st, start, n === PIPE || n === AMP ? 2 : 1);
        continue;
      }
      if (c === AMP) {
        if (n === GT) this.redirect(st, start, start, this.code(start + 2) === GT ? 3 : 2);
        else this.operator(st, start, n === AMP ? 2 : 1);
        continue;
      }
      let opStart = -1;
      if ((c === LT || c === GT) && n !== LPAREN) opStart = start;
      else if (isDigit(c)) {
        let i = start + 1;
        while (i < this.limit && isDigit(src.charCodeAt(i))) i++;
        const d = this.code(i);
        if ((d === LT || d === GT) && this.code(i + 1) !== LPAREN) opStart = i;
      }
      if (opStart >= 0) {
        this.redirect(st, start, opStart, this.redirectLength(opStart));
        continue;
      }
      this.word(st);
    }
    if (st.redirectOp !== null || st.needCommand || close !== Close.None) this.incomplete = true;
    return close === Close.None;
  }

  private ensureCommand(st: ListState): ShellCommand {
    if (st.cmd === null) {
      st.cmd = { argv: [], assignments: [], redirects: [], dynamic: [] };
      this.commands.push(st.cmd);
    }
    return st.cmd;
  }

  private operator(st: ListState, start: number, len: number): void {
    const text = this.src.slice(start, start + len);
    this.tok('operator', start, start + len, len, 0, false);
    this.operators.push(text);
    if (st.redirectOp !== null) this.incomplete = true;
    st.redirectOp = null;
    st.cmd = null;
    st.endOfOptions = false;
    st.lastWasWord = false;
    st.pendingBlank = null;
    this.pos = start + len;
    if (st.pattern) return;
    if (st.caseDepth > 0 && (text === ';;' || text === ';&' || text === ';;&')) {
      st.pattern = true;
      st.needCommand = false;
      return;
    }
    // `a && ;` or `| |` is a syntax error the shell would reject; say so rather than guess.
    if (st.needCommand && text !== '\n' && text !== '(') this.incomplete = true;
    if (text === '|' || text === '||' || text === '&&' || text === '|&') st.needCommand = true;
    else if (text !== '\n' && text !== '(') st.needCommand = false;
  }

  /** Emits a redirect token spanning the io number and operator; its target is the next word. */
  private redirect(st: ListState, start: number, opStart: number, len: number): void {
    if (st.redirectOp !== null) this.incomplete = true;
    const end = opStart + len;
    this.tok('redirect', start, end, end - start, 0, false);
    this.pos = end;
    st.redirectOp = this.src.slice(start, end);
    st.lastWasWord = false;
    st.pendingBlank = null;
    this.ensureCommand(st);
  }

  /** A word at `pos`, given its role in the current simple command. */
  private word(st: ListState): void {
    const w = this.parseWord();
    const t = w.token;
    if (st.pendingBlank !== null) st.pendingBlank.separates = true;
    st.pendingBlank = null;
    st.lastWasWord = true;
    if (st.redirectOp !== null) {
      const op = st.redirectOp;
      t.role = 'target';
      this.ensureCommand(st).redirects.push({ op, target: w.value, dynamic: t.dynamic === true });
      if (op.endsWith('<<') || op.endsWith('<<-')) {
        this.heredocs.push({ delim: w.value, strip: op.endsWith('-'), expand: !w.hasQuote });
      }
      st.redirectOp = null;
      return;
    }
    st.needCommand = false;
    if (st.pattern) {
      if (!w.hasQuote && w.value === 'esac') {
        st.caseDepth--;
        st.pattern = false;
        t.role = 'keyword';
      } else t.role = 'argument';
      return;
    }
    if (st.cmd === null || st.cmd.argv.length === 0) {
      if (w.assignable) {
        t.role = 'assignment';
        this.ensureCommand(st).assignments.push(w.value);
        return;
      }
      if (!w.hasQuote && RESERVED_PREFIX.has(w.value)) {
        if (w.value === 'esac' && st.caseDepth > 0) st.caseDepth--;
        // `if ls` / `! ls` / `{ ls`: the next word is still in command position.
        t.role = 'keyword';
        st.lastWasWord = false;
        return;
      }
      t.role = 'command';
    } else {
      t.role = 'argument';
    }
    t.endOfOptions = st.endOfOptions;
    const cmd = this.ensureCommand(st);
    cmd.argv.push(w.value);
    cmd.dynamic.push(t.dynamic === true);
    if (t.role === 'argument' && w.value === '--') st.endOfOptions = true;
    if (cmd.argv.length === 3 && cmd.argv[0] === 'case' && w.value === 'in' && !w.hasQuote) {
      // `case WORD in` stays visible as a command; what follows are patterns, then commands.
      st.caseDepth++;
      st.pattern = true;
      st.cmd = null;
      st.endOfOptions = false;
      st.lastWasWord = false;
      st.pendingBlank = null;
    }
  }

  private redirectLength(at: number): number {
    const c = this.code(at);
    const n = this.code(at + 1);
    if (c === GT) {
      if (n === GT || n === PIPE || n === AMP) return 2;
      return 1;
    }
    // c === '<'
    if (n === LT) {
      const m = this.code(at + 2);
      return m === 45 /* - */ || m === LT ? 3 : 2;
    }
    if (n === GT || n === AMP) return 2;
    return 1;
  }

  /** One word at `pos`; tokens for its quotes and expansions are emitted after the word token. */
  private parseWord(): WordInfo {
    const src = this.src;
    const start = this.pos;
    const token = this.tok('word', start, start, 0, 0, false);
    let value = '';
    let runStart = start;
    let valueStart = -1;
    let hasQuote = false;
    let dynamic = false;
    // Assignment: NAME= with NAME unquoted and valid, at the start of the word.
    let nameOk = true;
    let assignable = false;
    let sawEq = false;
    let bracketOpen = -1;
    const braces: number[] = [];
    const braceHas: boolean[] = [];

    const flush = (to: number): void => {
      if (to > runStart) {
        if (valueStart < 0) valueStart = runStart;
        value += src.slice(runStart, to);
      }
    };
    const append = (text: string, from: number): void => {
      if (text.length > 0) {
        if (valueStart < 0) valueStart = from;
        value += text;
      }
    };

    while (this.pos < this.limit) {
      const i = this.pos;
      const c = src.charCodeAt(i);
      if (isMeta(c)) {
        if ((c === LT || c === GT) && i === start && this.code(i + 1) === LPAREN) {
          // Process substitution <( … ) / >( … ).
          flush(i);
          const body = this.commandSubstitution(i, 2, false);
          append(body, i);
          dynamic = true;
          nameOk = false;
          runStart = this.pos;
          continue;
        }
        break;
      }
      if (!sawEq) {
        if (c === EQ) {
          sawEq = true;
          assignable = nameOk && i > start;
          if (assignable) token.open = i + 1 - start;
        } else if (!(i === start ? isNameStart(c) : isNameChar(c))) nameOk = false;
      }
      switch (c) {
        case BS: {
          flush(i);
          if (i + 1 >= this.limit) {
            // A trailing backslash stays literal.
            append('\\', i);
            this.pos = i + 1;
          } else if (this.inBacktick > 0 && src.charCodeAt(i + 1) === BT) {
            this.tok('substitution', i, i + 2, 2, 0, false);
            append('\\`', i);
            this.pos = i + 2;
            dynamic = true;
          } else {
            this.tok('escape', i, i + 2, 1, 1, false);
            if (src.charCodeAt(i + 1) !== NL) append(src[i + 1]!, i + 1);
            this.pos = i + 2;
            hasQuote = true;
          }
          runStart = this.pos;
          continue;
        }
        case SQ: {
          flush(i);
          const close = src.indexOf("'", i + 1);
          const end = close === -1 || close >= this.limit ? this.limit : close + 1;
          this.tok('quote', i, end, 1, close === -1 || close >= this.limit ? 0 : 1, false);
          if (end === this.limit && (close === -1 || close >= this.limit)) {
            this.incomplete = true;
            append(src.slice(i + 1, end), i + 1);
          } else append(src.slice(i + 1, end - 1), i + 1);
          this.pos = end;
          hasQuote = true;
          runStart = end;
          continue;
        }
        case DQ: {
          flush(i);
          this.dyn = false;
          append(this.doubleQuoted(i, 1), i + 1);
          if (this.dyn) dynamic = true;
          hasQuote = true;
          runStart = this.pos;
          continue;
        }
        case DOLLAR: {
          flush(i);
          this.dyn = false;
          const text = this.dollar(false);
          append(text, i);
          if (this.dyn) dynamic = true;
          if (this.pos > i + 1 && src.charCodeAt(i + 1) === SQ) hasQuote = true;
          if (this.pos > i + 1 && src.charCodeAt(i + 1) === DQ) hasQuote = true;
          runStart = this.pos;
          continue;
        }
        case BT: {
          flush(i);
          append(this.backtick(i, false), i);
          dynamic = true;
          runStart = this.pos;
          continue;
        }
        case STAR:
        case QMARK:
          this.tok('glob', i, i + 1, 1, 0, false);
          dynamic = true;
          break;
        case LBRACK:
          if (bracketOpen < 0) bracketOpen = i;
          break;
        case RBRACK:
          if (bracketOpen >= 0 && i > bracketOpen + 1) {
            this.tok('glob', bracketOpen, i + 1, 1, 1, false);
            bracketOpen = -1;
            dynamic = true;
          }
          break;
        case LBRACE:
          braces.push(i);
          braceHas.push(false);
          break;
        case COMMA:
          if (braces.length > 0) braceHas[braceHas.length - 1] = true;
          break;
        case DOT:
          if (braces.length > 0 && this.code(i + 1) === DOT) braceHas[braceHas.length - 1] = true;
          break;
        case RBRACE:
          if (braces.length > 0) {
            const open = braces.pop()!;
            if (braceHas.pop()) {
              this.tok('brace', open, i + 1, 1, 1, false);
              dynamic = true;
            }
          }
          break;
        case TILDE:
          if (i === start) {
            let j = i + 1;
            const d0 = this.code(j);
            // ~+ and ~- are $PWD and $OLDPWD.
            if (d0 === 43 || d0 === 45) j++;
            else {
              while (j < this.limit) {
                const d = src.charCodeAt(j);
                if (!(isNameChar(d) || d === DOT || d === 45)) break;
                j++;
              }
            }
            const d = this.code(j);
            if (j >= this.limit || d === SLASH || isMeta(d)) {
              this.tok('tilde', i, j, j - i, 0, false);
              dynamic = true;
            }
          }
          break;
        default:
          break;
      }
      this.pos = i + 1;
    }
    flush(this.pos);
    token.end = this.pos;
    token.value = value;
    token.valueStart = valueStart;
    token.quoted = hasQuote;
    token.dynamic = dynamic;
    if (!assignable) token.open = 0;
    return { token, value, assignable, hasQuote };
  }

  /** "…" (prefixLen 1) or $"…" (prefixLen 2) at `at`; returns the dequoted content. */
  private doubleQuoted(at: number, prefixLen: number): string {
    const src = this.src;
    const t = this.tok('quote', at, at, prefixLen, 0, false);
    this.pos = at + prefixLen;
    let content = '';
    let runStart = this.pos;
    while (this.pos < this.limit) {
      const i = this.pos;
      const c = src.charCodeAt(i);
      if (c === DQ) {
        content += src.slice(runStart, i);
        this.pos = i + 1;
        t.end = this.pos;
        t.close = 1;
        return content;
      }
      if (c === BS && i + 1 < this.limit) {
        const n = src.charCodeAt(i + 1);
        if (n === DOLLAR || n === BT || n === DQ || n === BS || n === NL) {
          content += src.slice(runStart, i);
          if (n === BT && this.inBacktick > 0) this.tok('substitution', i, i + 2, 2, 0, true);
          else this.tok('escape', i, i + 2, 1, 1, true);
          if (n !== NL) content += src[i + 1];
          this.pos = i + 2;
          runStart = this.pos;
          continue;
        }
        this.pos = i + 2;
        continue;
      }
      if (c === DOLLAR) {
        content += src.slice(runStart, i);
        content += this.dollar(true);
        runStart = this.pos;
        continue;
      }
      if (c === BT) {
        content += src.slice(runStart, i);
        content += this.backtick(i, true);
        runStart = this.pos;
        continue;
      }
      this.pos = i + 1;
    }
    content += src.slice(runStart, this.limit);
    this.pos = this.limit;
    t.end = this.limit;
    this.incomplete = true;
    return content;
  }

  /** `$…` at pos; returns the text the word gets (source form for expansions, content for $'…'/$"…"). */
  private dollar(quoted: boolean): string {
    const src = this.src;
    const at = this.pos;
    const n = this.code(at + 1);
    if (n === LPAREN) {
      if (this.code(at + 2) === LPAREN) return this.arithmetic(at, quoted);
      return this.commandSubstitution(at, 2, quoted);
    }
    // bash's old arithmetic form, `$[ … ]`: an expansion like `$(( … ))` where /bin/sh is bash.
    if (n === LBRACK) return this.arithmetic(at, quoted, true);
    if (n === LBRACE) return this.braceParameter(at, quoted);
    if (!quoted && n === SQ) return this.ansiC(at);
    if (!quoted && n === DQ) return this.doubleQuoted(at, 2);
    if (isNameStart(n)) {
      let j = at + 2;
      while (j < this.limit && isNameChar(src.charCodeAt(j))) j++;
      this.tok('variable', at, j, j - at, 0, quoted);
      this.pos = j;
      this.dyn = true;
      return src.slice(at, j);
    }
    if (isDigit(n) || isSpecialParam(n)) {
      this.tok('variable', at, at + 2, 2, 0, quoted);
      this.pos = at + 2;
      this.dyn = true;
      return src.slice(at, at + 2);
    }
    this.pos = at + 1;
    return '$';
  }

  /** $( … ), <( … ) or >( … ) at `at` with an opener of `openLen` chars. */
  private commandSubstitution(at: number, openLen: number, quoted: boolean): string {
    const t = this.tok('substitution', at, at, openLen, 0, quoted);
    this.pos = at + openLen;
    this.dyn = true;
    if (!this.tooDeep()) {
      this.depth++;
      const saved = this.heredocs;
      this.heredocs = [];
      const closed = this.parseList(Close.Paren);
      if (this.heredocs.length > 0) this.incomplete = true;
      this.heredocs = saved;
      this.depth--;
      if (closed) t.close = 1;
    }
    t.end = this.pos;
    const text = this.src.slice(at, t.end);
    this.substitutions.push(text);
    return text;
  }

  /** $(( … )), or with `brackets` bash's $[ … ] — scanned for nested expansions; arithmetic itself is not parsed. */
  private arithmetic(at: number, quoted: boolean, brackets = false): string {
    const src = this.src;
    const open = brackets ? LBRACK : LPAREN;
    const closer = brackets ? RBRACK : RPAREN;
    const t = this.tok('substitution', at, at, brackets ? 2 : 3, 0, quoted);
    this.pos = at + (brackets ? 2 : 3);
    this.dyn = true;
    if (!this.tooDeep()) {
      this.depth++;
      let level = 0;
      while (this.pos < this.limit) {
        const i = this.pos;
        const c = src.charCodeAt(i);
        if (c === open) level++;
        else if (c === closer) {
          if (level > 0) level--;
          else {
            const two = !brackets && this.code(i + 1) === RPAREN;
            this.pos = i + (two ? 2 : 1);
            t.close = two ? 2 : 1;
            break;
          }
        } else if (c === DOLLAR) {
          this.dollar(true);
          continue;
        } else if (c === BT) {
          this.backtick(i, true);
          continue;
        } else if (c === DQ) {
          this.doubleQuoted(i, 1);
          continue;
        } else if (c === BS) {
          this.pos = i + 2;
          continue;
        }
        this.pos = i + 1;
      }
      this.depth--;
    }
    if (this.pos > this.limit) this.pos = this.limit;
    if (t.close === 0) this.incomplete = true;
    t.end = this.pos;
    const text = src.slice(at, t.end);
    this.substitutions.push(text);
    return text;
  }

  /** ${ … } — the region may hold quotes and nested expansions (${x:-$(id)}). */
  private braceParameter(at: number, quoted: boolean): string {
    const src = this.src;
    let j = at + 2;
    const first = this.code(j);
    if (first === HASH || first === 33 /* ! */) j++;
    const c0 = this.code(j);
    if (isDigit(c0) || (isSpecialParam(c0) && c0 !== HASH && c0 !== 33)) j++;
    else while (j < this.limit && isNameChar(src.charCodeAt(j))) j++;
    const t = this.tok('variable', at, at, j - at, 0, quoted);
    this.pos = j;
    this.dyn = true;
    if (!this.tooDeep()) {
      this.depth++;
      while (this.pos < this.limit) {
        const i = this.pos;
        const c = src.charCodeAt(i);
        if (c === RBRACE) {
          this.pos = i + 1;
          t.close = 1;
          break;
        }
        if (c === BS) {
          if (i + 1 < this.limit) this.tok('escape', i, i + 2, 1, 1, quoted);
          this.pos = i + 2;
          continue;
        }
        if (c === SQ && !quoted) {
          const close = src.indexOf("'", i + 1);
          const end = close === -1 || close >= this.limit ? this.limit : close + 1;
          this.tok('quote', i, end, 1, end === this.limit && (close === -1 || close >= this.limit) ? 0 : 1, false);
          this.pos = end;
          continue;
        }
        if (c === DQ) {
          this.doubleQuoted(i, 1);
          continue;
        }
        if (c === DOLLAR) {
          this.dollar(quoted);
          continue;
        }
        if (c === BT) {
          this.backtick(i, quoted);
          continue;
        }
        this.pos = i + 1;
      }
      this.depth--;
    }
    if (this.pos > this.limit) this.pos = this.limit;
    if (t.close === 0) this.incomplete = true;
    t.end = this.pos;
    this.dyn = true;
    return src.slice(at, t.end);
  }

  /** $'…' (bash ANSI-C quoting); returns the decoded content. */
  private ansiC(at: number): string {
    const src = this.src;
    const t = this.tok('quote', at, at, 2, 0, false);
    let i = at + 2;
    let out = '';
    while (i < this.limit) {
      const c = src.charCodeAt(i);
      if (c === SQ) {
        t.end = i + 1;
        t.close = 1;
        this.pos = i + 1;
        return out;
      }
      if (c === BS && i + 1 < this.limit) {
        const r = decodeAnsiEscape(src, i + 1, this.limit);
        this.tok('escape', i, r.next, 1, r.next - i - 1, true);
        out += r.text;
        i = r.next;
        continue;
      }
      out += src[i];
      i++;
    }
    t.end = this.limit;
    this.pos = this.limit;
    this.incomplete = true;
    return out;
  }

  /** `…` at `at`: the region ends at the first unescaped backtick; its inside is parsed as a list. */
  private backtick(at: number, quoted: boolean): string {
    const src = this.src;
    let j = at + 1;
    while (j < this.limit) {
      const c = src.charCodeAt(j);
      if (c === BS) j += 2;
      else if (c === BT) break;
      else j++;
    }
    const closed = j < this.limit;
    const innerEnd = closed ? j : this.limit;
    const t = this.tok('substitution', at, at, 1, closed ? 1 : 0, quoted);
    this.dyn = true;
    if (!closed) this.incomplete = true;
    const savedLimit = this.limit;
    this.limit = innerEnd;
    this.pos = at + 1;
    if (!this.tooDeep()) {
      this.depth++;
      this.inBacktick++;
      const saved = this.heredocs;
      this.heredocs = [];
      this.parseList(Close.None);
      if (this.heredocs.length > 0) this.incomplete = true;
      this.heredocs = saved;
      this.inBacktick--;
      this.depth--;
    }
    this.limit = savedLimit;
    this.pos = closed ? innerEnd + 1 : innerEnd;
    t.end = this.pos;
    const text = src.slice(at, t.end);
    this.substitutions.push(text);
    return text;
  }

  /** Here-document bodies that start after the newline just consumed. */
  private readHeredocs(): void {
    const src = this.src;
    const pending = this.heredocs;
    this.heredocs = [];
    for (const h of pending) {
      const bodyStart = this.pos;
      const t = this.tok('heredoc', bodyStart, bodyStart, 0, 0, true);
      let bodyEnd = -1;
      while (this.pos < this.limit) {
        const lineStart = this.pos;
        let lineEnd = lineStart;
        while (lineEnd < this.limit && src.charCodeAt(lineEnd) !== NL) lineEnd++;
        let s = lineStart;
        if (h.strip) while (s < lineEnd && src.charCodeAt(s) === TAB) s++;
        const next = lineEnd < this.limit ? lineEnd + 1 : lineEnd;
        if (lineEnd - s === h.delim.length && src.startsWith(h.delim, s)) {
          bodyEnd = lineStart;
          t.close = next - lineStart;
          this.pos = next;
          break;
        }
        this.pos = next;
      }
      if (bodyEnd < 0) {
        this.incomplete = true;
        bodyEnd = this.limit;
        this.pos = this.limit;
      }
      t.end = this.pos;
      if (h.expand && bodyEnd > bodyStart) this.scanHeredocBody(bodyStart, bodyEnd);
    }
  }

  /** Expansions in an unquoted-delimiter here-document behave as inside double quotes. */
  private scanHeredocBody(start: number, end: number): void {
    const src = this.src;
    const savedLimit = this.limit;
    const savedPos = this.pos;
    this.limit = end;
    this.pos = start;
    while (this.pos < end) {
      const i = this.pos;
      const c = src.charCodeAt(i);
      if (c === BS && i + 1 < end) {
        const n = src.charCodeAt(i + 1);
        if (n === DOLLAR || n === BT || n === BS || n === NL) this.tok('escape', i, i + 2, 1, 1, true);
        this.pos = i + 2;
      } else if (c === DOLLAR) this.dollar(true);
      else if (c === BT) this.backtick(i, true);
      else this.pos = i + 1;
    }
    this.limit = savedLimit;
    this.pos = savedPos;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v',
  '\\': '\\', "'": "'", '"': '"', '?': '?',
};

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** One escape inside $'…' starting after the backslash at `i`. */
function decodeAnsiEscape(src: string, i: number, limit: number): { text: string; next: number } {
  const ch = src[i]!;
  const simple = SIMPLE_ESCAPES[ch];
  if (simple !== undefined) return { text: simple, next: i + 1 };
  const c = src.charCodeAt(i);
  let max = 0;
  let base = 16;
  let j = i + 1;
  if (ch === 'x') max = 2;
  else if (ch === 'u') max = 4;
  else if (ch === 'U') max = 8;
  else if (c >= 48 && c <= 55) {
    base = 8;
    max = 3;
    j = i;
  } else if (ch === 'c' && i + 1 < limit) {
    return { text: String.fromCharCode(src.charCodeAt(i + 1) & 31), next: i + 2 };
  } else return { text: '\\' + ch, next: i + 1 };
  let v = 0;
  let digits = 0;
  while (digits < max && j < limit) {
    const d = hexValue(src.charCodeAt(j));
    if (d < 0 || d >= base) break;
    v = v * base + d;
    j++;
    digits++;
  }
  if (digits === 0) return { text: '\\' + ch, next: i + 1 };
  const text = v <= 0x10ffff ? String.fromCodePoint(v) : '';
  return { text, next: j };
}

/** Tokens and parse of a shell command in one pass. Never throws. */
export function analyseShell(command: string): ShellAnalysis {
  const p = new Parser(typeof command === 'string' ? command : String(command));
  try {
    p.parseList(Close.None);
    if (p.heredocs.length > 0) p.incomplete = true;
  } catch {
    // Defensive only: the parser has no known throwing path, but callers rely on "never throws".
    p.incomplete = true;
  }
  return {
    tokens: p.tokens,
    parse: { commands: p.commands, operators: p.operators, substitutions: p.substitutions, incomplete: p.incomplete },
  };
}

/**
 * The command as the shell reads it: every backslash-newline is removed before tokens are read, unquoted and inside
 * double quotes, so `"$\<newline>(id)"` is `"$(id)"` and `&\<newline>&` is `&&`. Inside single quotes the pair is
 * literal; removing it there changes no token, only that word's value.
 */
export function asShellReads(command: string): string {
  return command.indexOf('\\\n') === -1 ? command : command.replaceAll('\\\n', '');
}

/** Parse a shell command for policy checks: programs, operators, substitutions, redirections, as the shell reads them. */
export function parseShell(command: string): ShellParse {
  return analyseShell(asShellReads(command)).parse;
}

/** Token stream of a shell command, with spans and quoting, for the injection detector. */
export function shellTokens(command: string): ShellToken[] {
  return analyseShell(command).tokens;
}
