import type { SqlDialect } from '../../types';

/**
 * SQL tokenizer for PostgreSQL, MySQL/MariaDB and SQLite. One forward pass,
 * no regexes, no backtracking: every branch consumes at least one character,
 * and the only searches (`indexOf` for a closing delimiter) never revisit text.
 * It never throws; text it cannot close becomes an UNTERMINATED token, text it
 * does not know becomes a one-character OP token.
 *
 * It is a structural lexer, not a parser: it knows where literals, comments,
 * identifiers and placeholders begin and end in each dialect, because that is
 * what an injection changes. Operator spelling is kept simple (one to three
 * characters) since the detector only compares token shapes.
 */

/** Small integers: the detector compares sequences of these on its hot path. */
export const TK = {
  EOF: 0,
  WORD: 1,
  QIDENT: 2,
  STRING: 3,
  NUMBER: 4,
  PARAM: 5,
  OP: 6,
  SEMI: 7,
  LPAREN: 8,
  RPAREN: 9,
  COMMA: 10,
  DOT: 11,
  COMMENT: 12,
  UNTERMINATED: 13,
} as const;
export type TokenKind = (typeof TK)[keyof typeof TK];

/** Escape rules of the last STRING/QIDENT token (`SqlLexer.escapes`). */
export const ESC_DOUBLED = 1;
export const ESC_BACKSLASH = 2;

export type SqlTokenType =
  | 'word'
  | 'quoted_identifier'
  | 'string'
  | 'number'
  | 'placeholder'
  | 'operator'
  | 'punctuation'
  | 'comment'
  | 'unterminated';

export interface SqlToken {
  type: SqlTokenType;
  start: number;
  end: number;
  text: string;
}

const TYPE_NAMES: readonly SqlTokenType[] = [
  'operator', // EOF, never emitted
  'word',
  'quoted_identifier',
  'string',
  'number',
  'placeholder',
  'operator',
  'punctuation',
  'punctuation',
  'punctuation',
  'punctuation',
  'punctuation',
  'comment',
  'unterminated',
];

const PG = 0;
const MY = 1;
const LITE = 2;

const C_SPACE = 1;
const C_WSTART = 2;
const C_WCONT = 4;
const C_DIGIT = 8;
const C_HEX = 16;

const CC = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) CC[c] |= C_WSTART | C_WCONT;
  if (/[0-9]/.test(ch)) CC[c] |= C_WCONT | C_DIGIT | C_HEX;
  if (/[A-Fa-f]/.test(ch)) CC[c] |= C_HEX;
}
CC[36] |= C_WCONT; // '$' continues identifiers in all three dialects
for (const c of [9, 10, 11, 12, 13, 32]) CC[c] |= C_SPACE;

/** Non-ASCII code units count as identifier characters, as all three servers accept them unquoted. */
function isWordStart(c: number): boolean {
  return c >= 128 || (c >= 0 && (CC[c] & C_WSTART) !== 0);
}
function isWordCont(c: number): boolean {
  return c >= 128 || (c >= 0 && (CC[c] & C_WCONT) !== 0);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHex(c: number): boolean {
  return c >= 0 && c < 128 && (CC[c] & C_HEX) !== 0;
}
export function isSqlSpace(c: number): boolean {
  return c >= 0 && c < 128 && (CC[c] & C_SPACE) !== 0;
}

function dialectCode(d: SqlDialect): number {
  return d === 'mysql' ? MY : d === 'sqlite' ? LITE : PG;
}

/**
 * Allocation-free token iterator: `next()` returns the kind and leaves the
 * token's bounds in `start`/`end` (and, for literals, identifiers and
 * comments, the inner text in `contentStart`/`contentEnd`).
 */
export class SqlLexer {
  text = '';
  pos = 0;
  start = 0;
  end = 0;
  contentStart = 0;
  contentEnd = 0;
  /** ESC_* bits of the last STRING/QIDENT token. */
  escapes = 0;
  /** Inside a MySQL/MariaDB executable comment (`/*! … *\/`), whose body is code. */
  exec = false;
  private len = 0;
  private d = PG;

  reset(text: string, dialect: SqlDialect, from = 0, exec = false): this {
    this.text = text;
    this.len = text.length;
    this.d = dialectCode(dialect);
    this.pos = from;
    this.exec = exec;
    this.start = this.end = from;
    return this;
  }

  next(): TokenKind {
    const t = this.text;
    const n = this.len;
    const d = this.d;
    let p = this.pos;
    for (;;) {
      if (p >= n) {
        this.start = this.end = this.pos = n;
        return TK.EOF;
      }
      const c = t.charCodeAt(p);
      if (c < 128 && (CC[c] & C_SPACE) !== 0) {
        p++;
        continue;
      }
      if (c === 42 && this.exec && t.charCodeAt(p + 1) === 47) {
        p += 2;
        this.exec = false;
        continue;
      }
      if (c === 47 && d === MY && t.charCodeAt(p + 1) === 42) {
        // `/*!` (MySQL) and `/*M!` (MariaDB) hide code from other servers, not from these.
        let q = p + 2;
        const c2 = t.charCodeAt(q);
        if (c2 === 33) q++;
        else if ((c2 === 77 || c2 === 109) && t.charCodeAt(q + 1) === 33) q += 2;
        if (q !== p + 2) {
          const stop = Math.min(n, q + 6);
          while (q < stop && isDigit(t.charCodeAt(q))) q++;
          this.exec = true;
          p = q;
          continue;
        }
      }
      break;
    }
    this.start = p;
    const c = t.charCodeAt(p);
    const c1 = p + 1 < n ? t.charCodeAt(p + 1) : -1;
    switch (c) {
      case 39: // '
        return this.quoted(p, p + 1, 39, d === MY ? ESC_DOUBLED | ESC_BACKSLASH : ESC_DOUBLED, TK.STRING);
      case 34: // "
        return d === MY
          ? this.quoted(p, p + 1, 34, ESC_DOUBLED | ESC_BACKSLASH, TK.STRING)
          : this.quoted(p, p + 1, 34, ESC_DOUBLED, TK.QIDENT);
      case 96: // `
        if (d !== PG) return this.quoted(p, p + 1, 96, ESC_DOUBLED, TK.QIDENT);
        return this.op(p, 1);
      case 91: // [
        if (d === LITE) return this.bracketIdent(p);
        return this.op(p, 1);
      case 45: // -
        if (c1 === 45) {
          if (d !== MY) return this.lineComment(p, p + 2);
          const c2 = p + 2 < n ? t.charCodeAt(p + 2) : 0;
          if (c2 <= 32 || c2 === 127) return this.lineComment(p, p + 2);
        }
        return this.op(p, opLength(t, p, c, c1, d));
      case 35: // #
        if (d === MY) return this.lineComment(p, p + 1);
        return this.op(p, opLength(t, p, c, c1, d));
      case 47: // /
        if (c1 === 42) return this.blockComment(p);
        return this.op(p, 1);
      case 36: // $
        return this.dollar(p, c1);
      case 63: // ?
        if (d === PG) return this.op(p, opLength(t, p, c, c1, d));
        return this.word(p, p + 1, TK.PARAM, true);
      case 58: // :
        if (isWordStart(c1)) return this.word(p, p + 1, TK.PARAM, false);
        return this.op(p, opLength(t, p, c, c1, d));
      case 64: // @
        if (d !== PG) {
          if (d === MY && c1 === 64) return this.word(p, p + 2, TK.PARAM, false);
          if (isWordCont(c1)) return this.word(p, p + 1, TK.PARAM, false);
        }
        return this.op(p, opLength(t, p, c, c1, d));
      case 59:
        return this.punct(p, TK.SEMI);
      case 40:
        return this.punct(p, TK.LPAREN);
      case 41:
        return this.punct(p, TK.RPAREN);
      case 44:
        return this.punct(p, TK.COMMA);
      case 46: // .
        if (isDigit(c1)) return this.number(p);
        return this.punct(p, TK.DOT);
    }
    if (isDigit(c)) return this.number(p);
    if (isWordStart(c)) {
      if (c1 === 39) {
        const u = c & ~32;
        if (d === PG) {
          if (u === 69) return this.quoted(p, p + 2, 39, ESC_DOUBLED | ESC_BACKSLASH, TK.STRING); // E''
          if (u === 66 || u === 88 || u === 78) return this.quoted(p, p + 2, 39, ESC_DOUBLED, TK.STRING);
        } else if (d === MY) {
          if (u === 88 || u === 66) return this.quoted(p, p + 2, 39, ESC_DOUBLED, TK.STRING);
          if (u === 78) return this.quoted(p, p + 2, 39, ESC_DOUBLED | ESC_BACKSLASH, TK.STRING);
        } else if (u === 88) {
          return this.quoted(p, p + 2, 39, ESC_DOUBLED, TK.STRING);
        }
      }
      if (d === PG && (c & ~32) === 85 && c1 === 38) {
        const c2 = t.charCodeAt(p + 2);
        if (c2 === 39) return this.quoted(p, p + 3, 39, ESC_DOUBLED, TK.STRING); // U&''
        if (c2 === 34) return this.quoted(p, p + 3, 34, ESC_DOUBLED, TK.QIDENT);
      }
      return this.word(p, p + 1, TK.WORD, false);
    }
    return this.op(p, opLength(t, p, c, c1, d));
  }

  private finish(end: number, kind: TokenKind): TokenKind {
    this.end = this.pos = end;
    return kind;
  }

  private punct(p: number, kind: TokenKind): TokenKind {
    return this.finish(p + 1, kind);
  }

  private op(p: number, len: number): TokenKind {
    return this.finish(Math.min(this.len, p + len), TK.OP);
  }

  private word(p: number, from: number, kind: TokenKind, digitsOnly: boolean): TokenKind {
    const t = this.text;
    const n = this.len;
    let q = from;
    if (digitsOnly) while (q < n && isDigit(t.charCodeAt(q))) q++;
    else while (q < n && isWordCont(t.charCodeAt(q))) q++;
    this.contentStart = p;
    this.contentEnd = q;
    return this.finish(q, kind);
  }

  /** A quoted token opened at `open - 1`; `escapes` says how the quote char can appear inside. */
  private quoted(p: number, open: number, quote: number, escapes: number, kind: TokenKind): TokenKind {
    const t = this.text;
    const n = this.len;
    this.contentStart = open;
    this.escapes = escapes;
    const backslash = (escapes & ESC_BACKSLASH) !== 0;
    let q = open;
    while (q < n) {
      const c = t.charCodeAt(q);
      if (c === quote) {
        if (t.charCodeAt(q + 1) === quote) {
          q += 2;
          continue;
        }
        this.contentEnd = q;
        return this.finish(q + 1, kind);
      }
      q += backslash && c === 92 ? 2 : 1;
    }
    this.contentEnd = n;
    return this.finish(n, TK.UNTERMINATED);
  }

  private bracketIdent(p: number): TokenKind {
    const close = this.text.indexOf(']', p + 1);
    this.contentStart = p + 1;
    this.escapes = 0;
    if (close < 0) {
      this.contentEnd = this.len;
      return this.finish(this.len, TK.UNTERMINATED);
    }
    this.contentEnd = close;
    return this.finish(close + 1, TK.QIDENT);
  }

  private lineComment(p: number, body: number): TokenKind {
    const t = this.text;
    const n = this.len;
    let q = body;
    if (this.d === PG) {
      while (q < n) {
        const c = t.charCodeAt(q);
        if (c === 10 || c === 13) break;
        q++;
      }
    } else {
      q = t.indexOf('\n', body);
      if (q < 0) q = n;
    }
    this.contentStart = body;
    this.contentEnd = q;
    return this.finish(q, TK.COMMENT);
  }

  private blockComment(p: number): TokenKind {
    const t = this.text;
    const n = this.len;
    this.contentStart = p + 2;
    if (this.d === PG) {
      // PostgreSQL nests block comments.
      let depth = 1;
      let q = p + 2;
      while (q < n) {
        const c = t.charCodeAt(q);
        if (c === 47 && t.charCodeAt(q + 1) === 42) {
          depth++;
          q += 2;
        } else if (c === 42 && t.charCodeAt(q + 1) === 47) {
          q += 2;
          if (--depth === 0) {
            this.contentEnd = q - 2;
            return this.finish(q, TK.COMMENT);
          }
        } else q++;
      }
      this.contentEnd = n;
      return this.finish(n, TK.UNTERMINATED);
    }
    const close = t.indexOf('*/', p + 2);
    if (close < 0) {
      this.contentEnd = n;
      // SQLite accepts a block comment that runs to the end of the text.
      return this.finish(n, this.d === LITE ? TK.COMMENT : TK.UNTERMINATED);
    }
    this.contentEnd = close;
    return this.finish(close + 2, TK.COMMENT);
  }

  private dollar(p: number, c1: number): TokenKind {
    const t = this.text;
    const n = this.len;
    const d = this.d;
    if (d === PG) {
      if (isDigit(c1)) return this.word(p, p + 1, TK.PARAM, true);
      // $tag$ … $tag$ where tag is empty or an identifier without '$'.
      let q = p + 1;
      if (c1 !== 36) {
        if (!isWordStart(c1)) return this.op(p, 1);
        while (q < n) {
          const c = t.charCodeAt(q);
          if (c === 36 || !isWordCont(c)) break;
          q++;
        }
        if (t.charCodeAt(q) !== 36) return this.op(p, 1);
      }
      const tag = t.slice(p, q + 1);
      this.contentStart = q + 1;
      this.escapes = 0;
      const close = t.indexOf(tag, q + 1);
      if (close < 0) {
        this.contentEnd = n;
        return this.finish(n, TK.UNTERMINATED);
      }
      this.contentEnd = close;
      return this.finish(close + tag.length, TK.STRING);
    }
    if (d === LITE) {
      if (isWordCont(c1) && c1 !== 36) return this.word(p, p + 1, TK.PARAM, false);
      return this.op(p, 1);
    }
    return this.word(p, p + 1, TK.WORD, false);
  }

  private number(p: number): TokenKind {
    const t = this.text;
    const n = this.len;
    const d = this.d;
    let q = p;
    let plain = true;
    const c0 = t.charCodeAt(p);
    const c1 = t.charCodeAt(p + 1) | 32;
    if (c0 === 48 && c1 === 120 && isHex(t.charCodeAt(p + 2))) {
      q = p + 2;
      while (q < n && (isHex(t.charCodeAt(q)) || (d !== MY && t.charCodeAt(q) === 95))) q++;
    } else if (c0 === 48 && c1 === 98 && d !== LITE && (t.charCodeAt(p + 2) | 1) === 49) {
      q = p + 2;
      while (q < n && (t.charCodeAt(q) | 1) === 49) q++;
    } else {
      while (q < n) {
        const c = t.charCodeAt(q);
        if (isDigit(c) || (c === 95 && d !== MY && isDigit(t.charCodeAt(q + 1)) && q > p)) q++;
        else break;
      }
      if (q < n && t.charCodeAt(q) === 46) {
        plain = false;
        q++;
        while (q < n && isDigit(t.charCodeAt(q))) q++;
      }
      const e = t.charCodeAt(q) | 32;
      if (e === 101) {
        let r = q + 1;
        const s = t.charCodeAt(r);
        if (s === 43 || s === 45) r++;
        if (isDigit(t.charCodeAt(r))) {
          plain = false;
          q = r;
          while (q < n && isDigit(t.charCodeAt(q))) q++;
        }
      }
    }
    // MySQL identifiers may begin with digits (`1abc`, `0xZZ`).
    if (d === MY && plain && q < n && isWordCont(t.charCodeAt(q))) return this.word(p, q, TK.WORD, false);
    this.contentStart = p;
    this.contentEnd = q;
    return this.finish(q, TK.NUMBER);
  }
}

/** Length of the operator at `p`: a few common two- and three-character spellings, else one. */
function opLength(t: string, p: number, c: number, c1: number, d: number): number {
  const c2 = t.charCodeAt(p + 2);
  switch (c) {
    case 60: // <
      if (c1 === 61) return c2 === 62 ? 3 : 2;
      return c1 === 62 || c1 === 60 || c1 === 64 ? 2 : 1;
    case 62: // >
      return c1 === 61 || c1 === 62 ? 2 : 1;
    case 61: // =
      return c1 === 61 || c1 === 62 ? 2 : 1;
    case 33: // !
      if (c1 === 126) return c2 === 42 ? 3 : 2;
      return c1 === 61 ? 2 : 1;
    case 124: // |
      return c1 === 124 ? 2 : 1;
    case 38: // &
      return c1 === 38 ? 2 : 1;
    case 126: // ~
      return c1 === 42 || c1 === 126 ? 2 : 1;
    case 58: // :
      return c1 === 58 || c1 === 61 ? 2 : 1;
    case 45: // -
      if (c1 === 62) return c2 === 62 ? 3 : 2;
      return 1;
    case 35: // # (PostgreSQL json path operators)
      if (d === PG && c1 === 62) return c2 === 62 ? 3 : 2;
      return 1;
    case 64: // @ (PostgreSQL containment)
      return d === PG && (c1 === 62 || c1 === 64) ? 2 : 1;
    case 63: // ? (PostgreSQL jsonb key operators)
      return c1 === 124 || c1 === 38 ? 2 : 1;
  }
  return 1;
}

/** Kind → public type name. */
export function tokenTypeName(kind: TokenKind): SqlTokenType {
  return TYPE_NAMES[kind] ?? 'operator';
}

/**
 * All tokens of `text` (comments included). Convenient for tests and tools;
 * the detector drives `SqlLexer` directly to avoid the allocations.
 */
export function tokenize(text: string, dialect: SqlDialect): SqlToken[] {
  const lx = new SqlLexer().reset(text, dialect);
  const out: SqlToken[] = [];
  for (let k = lx.next(); k !== TK.EOF; k = lx.next()) {
    out.push({ type: tokenTypeName(k), start: lx.start, end: lx.end, text: text.slice(lx.start, lx.end) });
  }
  return out;
}
