import type { Detector, Finding, SqlDialect, TaintInput } from '../../types';
import { CH_NONWORD } from '../../taint/decode';
import { BigramIndex, overlaps, spansOf } from '../../taint/overlap';
import { ESC_BACKSLASH, ESC_DOUBLED, SqlLexer, TK, isSqlSpace } from './tokenizer';

export { analyzeSql, type SqlAnalysis } from './analyze';
export { tokenize, SqlLexer, type SqlToken, type SqlTokenType } from './tokenizer';

/**
 * SQL injection: an input that occurs in the query text is an injection when
 * it changes the query's token structure. For each place the input occurs we
 * lex the query again with that span replaced by a harmless stand-in of the
 * same context — `a` inside a literal, identifier or comment, a single number
 * or word in code position — and compare token classes from the span onward,
 * stopping as soon as both lexers are back at the same text position and
 * state. Most inputs never get that far: an input that does not occur is
 * rejected by a bigram lookup (or one `indexOf`), and one lying inside a
 * single literal, number or identifier without characters that could end it
 * is accepted from the token table. docs/detectors.md has the whole story.
 */

/** Inputs whose whole text a query is, counted as an injection from this many tokens on. */
const WHOLE_QUERY_MIN_TOKENS = 3;
const SHOW = 40;
/** Inputs this short match the app's own SQL by chance often enough to need a second look. */
const SHORT = 4;

interface Hit {
  reason: string;
  token: string;
  offset: number;
}

// Token table of the current query, reused across calls: detectors are
// synchronous and never re-entered, so one set of typed arrays serves all.
let cap = 0;
let tKind = new Uint8Array(0);
let tStart = new Int32Array(0);
let tEnd = new Int32Array(0);
let tCStart = new Int32Array(0);
let tCEnd = new Int32Array(0);
let tEsc = new Uint8Array(0);
let tExec = new Uint8Array(0);
let count = 0;
let lexedAll = false;
grow(256);

const lexA = new SqlLexer();
const lexB = new SqlLexer();

/** Token classes compared for "same structure": literals, names and placeholders are interchangeable within their class. */
const CLS = new Uint8Array(16);
CLS[TK.WORD] = 1;
CLS[TK.QIDENT] = 1;
CLS[TK.STRING] = 2;
CLS[TK.NUMBER] = 2;
CLS[TK.PARAM] = 3;
CLS[TK.OP] = 4;
CLS[TK.SEMI] = 5;
CLS[TK.LPAREN] = 6;
CLS[TK.RPAREN] = 7;
CLS[TK.COMMA] = 8;
CLS[TK.DOT] = 9;
CLS[TK.COMMENT] = 10;
CLS[TK.UNTERMINATED] = 11;

/** Most request inputs are not in the query: its bigrams reject them without a substring search each. */
const BIGRAMS = new BigramIndex();

export const detectSqlInjection: Detector<'sql.query'> = (resource, inputs) => {
  const text = resource.text;
  if (typeof text !== 'string' || text.length === 0 || inputs.length === 0) return undefined;
  const dialect = resource.dialect;
  let scanned = false;

  BIGRAMS.index(text);
  // An escaped spelling of an input holds `''` or a backslash; most queries hold neither.
  const mayHoldEscaped = text.indexOf("''") >= 0 || text.indexOf('\\') >= 0;
  let candidates: TaintInput[] | undefined;
  // One-character inputs that could break a quoted literal, for the second pass when it need not read every input.
  let singles: TaintInput[] | undefined;
  for (const input of inputs) {
    // A word cannot change the tokens around it (isOneWord). Extraction has said which inputs are words;
    // only inputs from elsewhere, without character classes, are scanned, and only once they may occur.
    const chars = input.chars;
    if (chars !== undefined && (chars & CH_NONWORD) === 0) continue;
    const v = input.value;
    if (typeof v !== 'string') continue;
    if (v.length < 2) {
      if (v.length === 1 && !mayHoldEscaped && isQuoteOrBackslash(v.charCodeAt(0))) (singles ??= []).push(input);
      continue;
    }
    if ((v.length > text.length || BIGRAMS.mayOccur(v)) && (chars !== undefined || !isOneWord(v))) (candidates ??= []).push(input);
  }
  if (candidates !== undefined) {
    for (const o of overlaps(text, candidates, 2)) {
      if (!scanned) {
        scan(text, dialect);
        scanned = true;
      }
      if (o.direction === 'payload-in-input') {
        if (significantTokens() >= WHOLE_QUERY_MIN_TOKENS) {
          return finding(o.input, dialect, { reason: 'input contains the whole query text', token: clip(text, 0, text.length), offset: 0 });
        }
        continue;
      }
      const v = o.input.value;
      for (const span of o.spans) {
        const hit = checkSpan(text, dialect, v, span.start, span.end);
        if (hit === undefined) continue;
        // `''` found across the quotes of `''''` is not the input: the escaped form, inside one literal, is.
        if (hasQuoteOrBackslash(v) && insideEscapedForm(text, dialect, v, span.start, span.end)) continue;
        // A short input the app demonstrably quoted (`--` in `LIKE '%--%'`) that also matches the app's
        // own SQL (`-- note`) is a coincidence there, not an injection.
        if (v.length <= SHORT && shownAsData(text, dialect, v)) break;
        return finding(o.input, dialect, hit);
      }
    }
  }

  // Without an escaped spelling to look for, only one-character inputs matter below: the first pass kept them.
  const second = mayHoldEscaped ? inputs : singles;
  if (second === undefined) return undefined;
  for (const input of second) {
    // Both checks below need a quote or a backslash, which a word (as extraction classed it) has not.
    if (input.chars !== undefined && (input.chars & CH_NONWORD) === 0) continue;
    const v = input.value;
    if (typeof v !== 'string') continue;
    if (v.length === 1) {
      // One character cannot add SQL by itself; it matters only when it breaks a quoted literal.
      if (!isQuoteOrBackslash(v.charCodeAt(0))) continue;
      if (text.indexOf(v) < 0) continue;
      if (!scanned) {
        scan(text, dialect);
        scanned = true;
      }
      const hit = checkSingle(text, dialect, v);
      if (hit !== undefined) return finding(input, dialect, hit);
    } else if (mayHoldEscaped && v.length > 1 && hasQuoteOrBackslash(v)) {
      // The app may have escaped the input before concatenating it: look for
      // the escaped spellings too, since a broken escaper is a classic hole
      // (`\'` doubled to `\''` re-opens the quote on MySQL).
      for (let variant = 0; variant < 2; variant++) {
        const form = escapedForm(v, variant);
        if (form === v) continue;
        const spans = spansOf(text, form);
        if (spans.length === 0) continue;
        if (!scanned) {
          scan(text, dialect);
          scanned = true;
        }
        for (const span of spans) {
          const hit = checkSpan(text, dialect, v, span.start, span.end);
          if (hit !== undefined) return finding(input, dialect, hit, variant === 0 ? 'doubled-quotes' : 'backslashes');
        }
      }
    }
  }
  return undefined;
};

/**
 * ASCII letters, digits and `_` only: wherever such an input lands it is part
 * of one word or number, or data inside a literal or comment. It cannot add an
 * operator, a quote, a comment or a second word.
 */
function isOneWord(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122) || c === 95)) return false;
  }
  return true;
}

/** `'`, `"`, backtick or `\\`: what one character needs to break a quoted literal or identifier. */
function isQuoteOrBackslash(c: number): boolean {
  return c === 39 || c === 34 || c === 96 || c === 92;
}

function hasQuoteOrBackslash(v: string): boolean {
  return v.indexOf("'") >= 0 || v.indexOf('\\') >= 0 || v.indexOf('"') >= 0;
}

/** The two common ways apps escape a value for a quoted literal: doubling quotes, or backslashes. */
function escapedForm(v: string, variant: number): string {
  return variant === 0 ? v.replaceAll("'", "''") : v.replace(/[\\'"]/g, '\\$&');
}

/** Does `v`, raw or escaped, occur harmlessly inside the content of a closed literal, identifier or comment? */
function shownAsData(text: string, dialect: SqlDialect, v: string): boolean {
  scanTo(Infinity);
  for (let variant = -1; variant < 2; variant++) {
    const form = variant < 0 ? v : escapedForm(v, variant);
    if (variant >= 0 && form === v) continue;
    for (const f of spansOf(text, form)) {
      const i = tokenAt(f.start);
      if (i < 0 || f.start < tCStart[i] || f.end > tCEnd[i] || f.end > tEnd[i]) continue;
      const k = tKind[i];
      if ((k === TK.STRING || k === TK.QIDENT || k === TK.COMMENT) && checkSpan(text, dialect, v, f.start, f.end) === undefined) return true;
    }
  }
  return false;
}

/** Does [s, e) lie inside an occurrence of an escaped form of `v` that is itself harmless? */
function insideEscapedForm(text: string, dialect: SqlDialect, v: string, s: number, e: number): boolean {
  for (let variant = 0; variant < 2; variant++) {
    const form = escapedForm(v, variant);
    if (form === v) continue;
    for (const f of spansOf(text, form)) {
      if (f.start > s || e > f.end) continue;
      // Only a closed literal vouches for it: in `'abc'' …` unterminated, either reading is possible.
      const i = tokenAt(f.start);
      if (i < 0 || f.end > tEnd[i] || (tKind[i] !== TK.STRING && tKind[i] !== TK.QIDENT)) continue;
      if (checkSpan(text, dialect, v, f.start, f.end) === undefined) return true;
    }
  }
  return false;
}

function finding(input: TaintInput, dialect: SqlDialect, hit: Hit, escaped?: string): Finding {
  const detail: Record<string, string | number | boolean> = { dialect, token: hit.token, offset: hit.offset };
  if (escaped !== undefined) detail.escaped = escaped;
  return { kind: 'sql_injection', input, reason: hit.reason, detail };
}

function grow(min: number): void {
  const next = Math.max(min, cap * 2);
  const k = new Uint8Array(next);
  const s = new Int32Array(next);
  const e = new Int32Array(next);
  const cs = new Int32Array(next);
  const ce = new Int32Array(next);
  const esc = new Uint8Array(next);
  const ex = new Uint8Array(next);
  k.set(tKind);
  s.set(tStart);
  e.set(tEnd);
  cs.set(tCStart);
  ce.set(tCEnd);
  esc.set(tEsc);
  ex.set(tExec);
  tKind = k;
  tStart = s;
  tEnd = e;
  tCStart = cs;
  tCEnd = ce;
  tEsc = esc;
  tExec = ex;
  cap = next;
}

/** Start a table for `text`; tokens are lexed on demand, only as far as a question needs. */
function scan(text: string, dialect: SqlDialect): void {
  // One huge query must not pin a huge table for the life of the process.
  if (cap > 65_536 && text.length < 16_384) {
    cap = 0;
    tKind = new Uint8Array(0);
    tStart = tEnd = tCStart = tCEnd = new Int32Array(0);
    tEsc = tExec = new Uint8Array(0);
    grow(256);
  }
  lexA.reset(text, dialect);
  count = 0;
  lexedAll = false;
}

/** Lex until the table covers `pos` and one token beyond it (or the end). */
function scanTo(pos: number): void {
  const lx = lexA;
  while (!lexedAll && (count === 0 || tEnd[count - 1] <= pos)) {
    const k = lx.next();
    if (k === TK.EOF) {
      lexedAll = true;
      return;
    }
    if (count === cap) grow(cap + 1);
    tKind[count] = k;
    tStart[count] = lx.start;
    tEnd[count] = lx.end;
    tCStart[count] = lx.contentStart;
    tCEnd[count] = lx.contentEnd;
    tEsc[count] = k === TK.STRING || k === TK.QIDENT ? lx.escapes : 0;
    tExec[count] = lx.exec ? 1 : 0;
    count++;
  }
}

function significantTokens(): number {
  scanTo(Infinity);
  let n = 0;
  for (let i = 0; i < count; i++) if (tKind[i] !== TK.COMMENT) n++;
  return n;
}

/** Index of the last token starting at or before `pos`, or -1. */
function tokenAt(pos: number): number {
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tStart[mid] <= pos) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function checkSingle(text: string, dialect: SqlDialect, v: string): Hit | undefined {
  scanTo(Infinity);
  for (const span of spansOf(text, v)) {
    const i = tokenAt(span.start);
    if (i < 0 || span.start >= tEnd[i]) continue;
    if (tKind[i] === TK.UNTERMINATED) return describe(text, i, true, span.start, span.end);
    if (v === '\\' && tKind[i] === TK.STRING && (tEsc[i] & ESC_BACKSLASH) !== 0) {
      const hit = checkSpan(text, dialect, v, span.start, span.end);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

function checkSpan(text: string, dialect: SqlDialect, value: string, s: number, e: number): Hit | undefined {
  scanTo(e);
  const i = tokenAt(s);
  const inside = i >= 0 && s < tEnd[i];
  const within = inside && e <= tEnd[i];
  if (within) {
    const k = tKind[i];
    if (k === TK.WORD || k === TK.NUMBER || k === TK.PARAM) return undefined;
    if (
      (k === TK.STRING || k === TK.QIDENT || k === TK.COMMENT) &&
      s >= tCStart[i] &&
      e <= tCEnd[i] &&
      !hasCloser(text, i, s, e)
    ) {
      return undefined;
    }
  }
  if ((!inside || s === tStart[i]) && isOperand(text, s, e)) return undefined;
  scanTo(Infinity);
  const repl = standIn(text, i, inside, s, e);
  if (sameShape(text, dialect, i, s, e, repl)) return undefined;
  if (within && (tKind[i] === TK.STRING || tKind[i] === TK.QIDENT) && decodeContent(text, i).includes(value)) {
    // The span only looked like it re-quoted: the literal holds the whole input once unescaped.
    return undefined;
  }
  return describe(text, i, inside, s, e);
}

/** Could text in [s, e) end the literal/identifier/comment token `i` it sits in? */
function hasCloser(text: string, i: number, s: number, e: number): boolean {
  const k = tKind[i];
  let a = -1;
  let b = -1;
  if (k === TK.COMMENT) {
    const c0 = text.charCodeAt(tStart[i]);
    if (c0 === 47) {
      a = 42; // '*'
      b = 47; // '/'
    } else {
      a = 10;
      b = 13;
    }
  } else {
    a = text.charCodeAt(tEnd[i] - 1); // closing quote, ']' or the '$' of a dollar tag
    if ((tEsc[i] & ESC_BACKSLASH) !== 0) b = 92;
  }
  for (let p = s; p < e; p++) {
    const c = text.charCodeAt(p);
    if (c === a || c === b) return true;
  }
  return false;
}

/**
 * Is [s, e) (spaces trimmed) one literal, name or placeholder, or a list of
 * literals (`1,2,3`, `'a', 'b'`, signed numbers)? Such an input stands where
 * a value stands and cannot reference anything; `IN (` + ids + `)` is common.
 */
function isOperand(text: string, s: number, e: number): boolean {
  let a = s;
  let b = e;
  while (a < b && isSqlSpace(text.charCodeAt(a))) a++;
  while (b > a && isSqlSpace(text.charCodeAt(b - 1))) b--;
  if (a === b) return true;
  let j = tokenAt(a);
  if (j < 0 || tStart[j] !== a) return false;
  const k = tKind[j];
  if (tEnd[j] === b && k === TK.PARAM) return true;
  if (k === TK.WORD || k === TK.QIDENT) {
    // A name, possibly qualified (`u.created_at`, `"s"."t"`): still one reference.
    for (;;) {
      if (tEnd[j] === b) return true;
      if (j + 2 >= count || tKind[j + 1] !== TK.DOT || tEnd[j + 1] >= b) return false;
      j += 2;
      if (tKind[j] !== TK.WORD && tKind[j] !== TK.QIDENT) return false;
    }
  }
  for (;;) {
    if (j < count && tKind[j] === TK.OP && tEnd[j] - tStart[j] === 1) {
      const c = text.charCodeAt(tStart[j]);
      if ((c === 45 || c === 43) && j + 1 < count && tKind[j + 1] === TK.NUMBER && tStart[j + 1] === tEnd[j]) j++;
    }
    if (j >= count || (tKind[j] !== TK.NUMBER && tKind[j] !== TK.STRING)) return false;
    if (tEnd[j] === b) return true;
    if (tEnd[j] > b || j + 1 >= count || tKind[j + 1] !== TK.COMMA || tEnd[j + 1] > b) return false;
    j += 2;
    if (j >= count || tStart[j] >= b) return false;
  }
}

/** The harmless text that could have stood at [s, e) in the same lexical context. */
function standIn(text: string, i: number, inside: boolean, s: number, e: number): string {
  if (inside && s > tStart[i]) {
    switch (tKind[i]) {
      case TK.NUMBER:
        return '1';
      case TK.WORD:
      case TK.PARAM: {
        const c = text.charCodeAt(s);
        return c >= 48 && c <= 57 ? '1' : 'a';
      }
      case TK.STRING:
      case TK.QIDENT:
      case TK.COMMENT:
      case TK.UNTERMINATED:
        return 'a';
      default:
        return ' 1 ';
    }
  }
  let a = s;
  while (a < e && isSqlSpace(text.charCodeAt(a))) a++;
  const c = text.charCodeAt(a);
  const c1 = text.charCodeAt(a + 1);
  if ((c === 45 || c === 43) && ((c1 >= 48 && c1 <= 57) || c1 === 46)) return c === 45 ? ' -1 ' : ' +1 ';
  const j = tokenAt(a);
  return j >= 0 && tStart[j] === a && (tKind[j] === TK.WORD || tKind[j] === TK.QIDENT) ? ' a ' : ' 1 ';
}

/**
 * Lex the query with [s, e) replaced by `repl`, from the token at or before
 * `s`, and compare token classes with the table. Equal once both lexers stand
 * at the same place after the span in the same state: the rest is identical text.
 */
function sameShape(text: string, dialect: SqlDialect, i: number, s: number, e: number, repl: string): boolean {
  const j0 = i >= 0 ? i : 0;
  const base = i >= 0 ? tStart[i] : 0;
  const t2 = text.slice(base, s) + repl + text.slice(e);
  const delta = repl.length - (e - s);
  const lx = lexB.reset(t2, dialect, 0, i >= 0 && tExec[i] === 1);
  for (let j = j0; ; j++) {
    const kb = lx.next();
    if (j >= count) return kb === TK.EOF;
    if (kb === TK.EOF) return false;
    const ka = tKind[j];
    if (CLS[ka] !== CLS[kb]) return false;
    if (ka === TK.OP && !sameText(text, tStart[j], tEnd[j], t2, lx.start, lx.end)) return false;
    const endA = tEnd[j];
    if (endA >= e && lx.end + base === endA + delta && lx.exec === (tExec[j] === 1)) return true;
  }
}

function sameText(a: string, as: number, ae: number, b: string, bs: number, be: number): boolean {
  if (ae - as !== be - bs) return false;
  for (let k = 0; k < ae - as; k++) if (a.charCodeAt(as + k) !== b.charCodeAt(bs + k)) return false;
  return true;
}

/** The value of string/identifier token `i` with its quote escapes undone. */
function decodeContent(text: string, i: number): string {
  const cs = tCStart[i];
  const ce = tCEnd[i];
  const esc = tEsc[i];
  if (esc === 0) return text.slice(cs, ce);
  const q = text.charCodeAt(cs - 1);
  let out = '';
  let last = cs;
  for (let p = cs; p < ce; p++) {
    const c = text.charCodeAt(p);
    if ((esc & ESC_DOUBLED) !== 0 && c === q && text.charCodeAt(p + 1) === q) {
      out += text.slice(last, p + 1);
      p++;
      last = p + 1;
    } else if ((esc & ESC_BACKSLASH) !== 0 && c === 92 && p + 1 < ce) {
      out += text.slice(last, p) + unescapeChar(text.charCodeAt(p + 1));
      p++;
      last = p + 1;
    }
  }
  return out + text.slice(last, ce);
}

function unescapeChar(c: number): string {
  switch (c) {
    case 48:
      return '\0';
    case 98:
      return '\b';
    case 110:
      return '\n';
    case 114:
      return '\r';
    case 116:
      return '\t';
    case 90:
      return '\x1a';
    case 37: // MySQL keeps the backslash of \% and \_ (LIKE escapes)
      return '\\%';
    case 95:
      return '\\_';
  }
  return String.fromCharCode(c);
}

function isWord(text: string, j: number, upper: string): boolean {
  const s = tStart[j];
  if (tEnd[j] - s !== upper.length) return false;
  for (let k = 0; k < upper.length; k++) if ((text.charCodeAt(s + k) & ~32) !== upper.charCodeAt(k)) return false;
  return true;
}

function clip(text: string, s: number, e: number): string {
  return e - s > SHOW ? `${text.slice(s, s + SHOW)}…` : text.slice(s, e);
}

/** Name the change for the event: the most telling token the span added. */
function describe(text: string, i: number, inside: boolean, s: number, e: number): Hit {
  let first = -1;
  let semi = -1;
  let union = -1;
  let comment = -1;
  let open = -1;
  const code = !inside || s === tStart[i];
  const lead = i >= 0 && inside ? i : i + 1;
  for (let j = i >= 0 ? i : 0; j < count && tStart[j] < e; j++) {
    if (tEnd[j] <= s) continue;
    const k = tKind[j];
    if (k === TK.UNTERMINATED && open < 0) open = j;
    if (tStart[j] < s) continue;
    // In code position the span's first token is the value the app expected; what follows was added.
    if (first < 0 && !(code && j === lead)) first = j;
    if (k === TK.SEMI && semi < 0) semi = j;
    else if (k === TK.COMMENT && comment < 0) comment = j;
    else if (k === TK.WORD && union < 0 && isWord(text, j, 'UNION')) union = j;
  }
  if (open < 0 && first < 0 && count > 0 && tKind[count - 1] === TK.UNTERMINATED) open = count - 1;
  const at = (j: number, reason: string): Hit => ({ reason, token: clip(text, tStart[j], tEnd[j]), offset: s });
  if (open >= 0) return at(open, 'input leaves a quoted literal or comment unterminated');
  if (semi >= 0) return at(semi, "input ends the statement and stacks another after ';'");
  if (union >= 0) return at(union, 'input adds a UNION to the query');
  if (comment >= 0) {
    const opener = text.charCodeAt(tStart[comment]) === 35 ? '#' : text.slice(tStart[comment], tStart[comment] + 2);
    return at(comment, `input starts a comment (${opener}) that hides the rest of the query`);
  }
  const quoted = inside && s > tStart[i] && (tKind[i] === TK.STRING || tKind[i] === TK.QIDENT);
  if (first < 0 && code && lead < count && tStart[lead] < e) first = lead;
  if (first >= 0) {
    const tok = clip(text, tStart[first], tEnd[first]);
    return at(first, quoted ? `input breaks out of a quoted literal and adds '${tok}'` : `input adds SQL to the query: '${tok}'`);
  }
  return { reason: 'input changes where a quoted literal or comment ends', token: clip(text, s, e), offset: s };
}
