/**
 * A small, linear, never-throwing JavaScript tokenizer for the code-injection
 * detector. It is not a parser: it only has to put token boundaries where V8
 * would for the sources apps hand to Function/eval/vm, so that an input can be
 * seen to stay inside a literal or to add code. Known approximations: '/'
 * after ')' and '}' is read as division; `-->` comments are recognised only
 * at the start of a line; unterminated literals end at the line end (strings)
 * or the end of the source (templates, block comments).
 */

export type TokenKind = 'ident' | 'keyword' | 'punct' | 'num' | 'str' | 'template' | 'regex' | 'comment' | 'invalid';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
}

const KEYWORDS: ReadonlySet<string> = new Set([
  'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do',
  'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in',
  'instanceof', 'let', 'new', 'null', 'return', 'static', 'super', 'switch', 'this', 'throw', 'true',
  'try', 'typeof', 'var', 'void', 'while', 'with', 'yield',
]);

/** Keywords after which an expression (so a regex literal) may follow... except these, which are values. */
const VALUE_KEYWORDS: ReadonlySet<string> = new Set(['this', 'super', 'null', 'true', 'false']);

const PUNCTUATORS: ReadonlySet<string> = new Set([
  '>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=',
  '&=', '|=', '^=', '**', '<<', '>>',
  '{', '}', '(', ')', '[', ']', ';', ',', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '!', '~',
  '?', ':', '=', '.', '@',
]);

export function isKeyword(word: string): boolean {
  return KEYWORDS.has(word);
}

function isLineTerminator(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

function isWhitespace(c: number): boolean {
  return (
    c === 32 || c === 9 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

function isIdentStart(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 36 || c === 95 ||
    (c >= 0x80 && !isWhitespace(c) && !isLineTerminator(c))
  );
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 0x200c || c === 0x200d;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Tokens of `src`. With `stopAt`, stops after the first token that starts at or beyond it. */
export function tokenize(src: string, stopAt = Infinity): Token[] {
  const tokens: Token[] = [];
  const n = src.length;
  // 1 = inside `${ … }` of a template, 0 = an ordinary brace.
  const braces: number[] = [];
  let i = 0;
  let prev: Token | undefined;
  let prevTemplateOpen = false;
  let lineStart = true;

  const push = (kind: TokenKind, start: number, end: number): void => {
    const t: Token = { kind, start, end };
    tokens.push(t);
    if (kind !== 'comment') {
      prev = t;
      lineStart = false;
    }
  };

  const regexAllowed = (): boolean => {
    if (prev === undefined) return true;
    switch (prev.kind) {
      case 'num':
      case 'str':
      case 'regex':
      case 'ident':
        return false;
      case 'template':
        return prevTemplateOpen;
      case 'keyword':
        return !VALUE_KEYWORDS.has(src.slice(prev.start, prev.end));
      case 'punct': {
        const c = src.charCodeAt(prev.start);
        return !(prev.end - prev.start === 1 && (c === 41 || c === 93 || c === 125));
      }
      default:
        return true;
    }
  };

  /** Scan template characters from `j`; returns the end and whether it stopped at `${`. */
  const scanTemplate = (j: number): { end: number; open: boolean } => {
    while (j < n) {
      const c = src.charCodeAt(j);
      if (c === 92) j += 2;
      else if (c === 96) return { end: j + 1, open: false };
      else if (c === 36 && src.charCodeAt(j + 1) === 123) return { end: j + 2, open: true };
      else j++;
    }
    return { end: n, open: false };
  };

  const lineEnd = (j: number): number => {
    while (j < n && !isLineTerminator(src.charCodeAt(j))) j++;
    return j;
  };

  while (i < n) {
    if (tokens.length > 0 && tokens[tokens.length - 1].start >= stopAt) break;
    const c = src.charCodeAt(i);
    if (isLineTerminator(c)) {
      lineStart = true;
      i++;
      continue;
    }
    if (isWhitespace(c)) {
      i++;
      continue;
    }
    const start = i;

    // Comments, including the hashbang and the HTML-like forms scripts accept.
    if (c === 47 && src.charCodeAt(i + 1) === 47) {
      i = lineEnd(i);
      push('comment', start, i);
      continue;
    }
    if (c === 47 && src.charCodeAt(i + 1) === 42) {
      const close = src.indexOf('*/', i + 2);
      i = close === -1 ? n : close + 2;
      for (let j = start; j < i; j++) if (isLineTerminator(src.charCodeAt(j))) { lineStart = true; break; }
      tokens.push({ kind: 'comment', start, end: i });
      continue;
    }
    if ((i === 0 && c === 35 && src.charCodeAt(1) === 33) || (c === 60 && src.startsWith('<!--', i)) || (lineStart && c === 45 && src.startsWith('-->', i))) {
      i = lineEnd(i);
      tokens.push({ kind: 'comment', start, end: i });
      continue;
    }

    if (isIdentStart(c) || (c === 92 && src.charCodeAt(i + 1) === 117) || (c === 35 && isIdentStart(src.charCodeAt(i + 1)))) {
      i++;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (isIdentPart(d)) i++;
        else if (d === 92 && src.charCodeAt(i + 1) === 117) i += 2;
        else break;
      }
      const word = src.slice(start, i);
      push(KEYWORDS.has(word) ? 'keyword' : 'ident', start, i);
      continue;
    }

    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      i = scanNumber(src, i);
      push('num', start, i);
      continue;
    }

    if (c === 34 || c === 39) {
      i++;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === c) { i++; break; }
        else if (d === 10 || d === 13) break;
        else i++;
      }
      if (i > n) i = n;
      push('str', start, i);
      continue;
    }

    if (c === 96) {
      const t = scanTemplate(i + 1);
      i = Math.min(t.end, n);
      if (t.open) braces.push(1);
      push('template', start, i);
      prevTemplateOpen = t.open;
      continue;
    }

    if (c === 125 && braces.length > 0 && braces[braces.length - 1] === 1) {
      braces.pop();
      const t = scanTemplate(i + 1);
      i = Math.min(t.end, n);
      if (t.open) braces.push(1);
      push('template', start, i);
      prevTemplateOpen = t.open;
      continue;
    }

    if (c === 47 && regexAllowed()) {
      const end = scanRegex(src, i);
      if (end !== -1) {
        i = end;
        push('regex', start, i);
        continue;
      }
    }

    let len = 0;
    for (let l = 4; l >= 1; l--) {
      if (i + l <= n && PUNCTUATORS.has(src.slice(i, i + l))) { len = l; break; }
    }
    // `?.5` is a conditional followed by a number, not optional chaining.
    if (len === 2 && c === 63 && src.charCodeAt(i + 1) === 46 && isDigit(src.charCodeAt(i + 2))) len = 1;
    if (len > 0) {
      if (len === 1 && c === 123) braces.push(0);
      else if (len === 1 && c === 125) braces.pop();
      i += len;
      push('punct', start, i);
      continue;
    }
    i++;
    push('invalid', start, i);
  }
  return tokens;
}

function scanDigits(src: string, i: number, hex: boolean): number {
  while (i < src.length) {
    const d = src.charCodeAt(i);
    const l = d | 0x20;
    if (isDigit(d) || d === 95 || (hex && l >= 97 && l <= 102)) i++;
    else break;
  }
  return i;
}

function scanNumber(src: string, i: number): number {
  const c = src.charCodeAt(i);
  const x = src.charCodeAt(i + 1) | 0x20;
  if (c === 48 && (x === 120 || x === 111 || x === 98)) {
    i = scanDigits(src, i + 2, x === 120);
  } else {
    i = scanDigits(src, i, false);
    if (src.charCodeAt(i) === 46) i = scanDigits(src, i + 1, false);
    const e = src.charCodeAt(i) | 0x20;
    if (e === 101) {
      let j = i + 1;
      const s = src.charCodeAt(j);
      if (s === 43 || s === 45) j++;
      if (isDigit(src.charCodeAt(j))) i = scanDigits(src, j, false);
    }
  }
  if (src.charCodeAt(i) === 110) i++;
  return i;
}

/** End of a regex literal starting at `i`, or -1 when it does not close on this line. */
function scanRegex(src: string, i: number): number {
  let j = i + 1;
  let inClass = false;
  while (j < src.length) {
    const c = src.charCodeAt(j);
    if (c === 92) j += 2;
    else if (isLineTerminator(c)) return -1;
    else if (inClass) {
      if (c === 93) inClass = false;
      j++;
    } else if (c === 91) {
      inClass = true;
      j++;
    } else if (c === 47) {
      j++;
      while (j < src.length && isIdentPart(src.charCodeAt(j))) j++;
      return j;
    } else j++;
  }
  return -1;
}

/** An identifier's name with `\uXXXX` / `\u{…}` escapes resolved (`\u0065val` is `eval`). */
export function identifierName(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.charCodeAt(i) === 92 && text.charCodeAt(i + 1) === 117) {
      let j = i + 2;
      let hexText: string;
      if (text.charCodeAt(j) === 123) {
        const close = text.indexOf('}', j);
        if (close === -1) { out += text.slice(i); break; }
        hexText = text.slice(j + 1, close);
        j = close + 1;
      } else {
        hexText = text.slice(j, j + 4);
        j += 4;
      }
      const cp = /^[0-9a-fA-F]{1,6}$/.test(hexText) ? parseInt(hexText, 16) : NaN;
      out += Number.isFinite(cp) && cp <= 0x10ffff ? String.fromCodePoint(cp) : text.slice(i, j);
      i = j;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}
