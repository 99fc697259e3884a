import type { Detector, Finding, TaintInput } from '../types';
import { overlaps, type Span } from '../taint/overlap';
import { identifierName, isKeyword, tokenize, type Token } from './js-tokenizer';

/**
 * Code injection: an input occurs in source handed to Function/eval/vm and
 * contributes code that can name something.
 *
 * Each occurrence is mapped onto the tokens of the evaluated source. Tokens
 * that began before the input and are literals (the app's string, template
 * chunk, comment) are data; everything the input starts — or an identifier it
 * extends — is the input's *code*. No code means the input stayed inside a
 * literal. Code is allowed only if it is arithmetic:
 *   numbers, string/regex literals, `true false null undefined NaN Infinity`,
 *   operators `+ - * / % ** ( ) , < > <= >= == != === !== && || ?? ! ~ & | ^ << >> >>> ? :`,
 *   `Math.<member>` and bare Math member names called (`sqrt(2)` under `with (Math)`),
 *   and reads of other plain variables (`x * 2` for `new Function('x', 'return ' + expr)`)
 *   unless the name is on the deny list.
 * Anything else — a keyword, `;`, `=`, `{`, `[`, `=>`, property access with
 * `.`, a call of a non-Math function, a new template literal, a deny-listed or
 * unicode-escaped name — is an injection.
 * Two exceptions keep coincidences quiet (generated sources such as compiled
 * templates contain many short words and brackets): an input that is exactly
 * one identifier/keyword/number/string token is benign unless its name is deny-listed,
 * and an input that contributes only numbers and punctuation is benign when
 * shorter than 32 characters (without a name or a string it cannot reach
 * anything; JSFuck-style payloads are far longer).
 * When the evaluated source lies inside a larger input (a formula parser cut
 * it out), the whole source is the input's code and the same rules apply.
 */

const MIN_INPUT = 2;
const INERT_PUNCTUATION_LENGTH = 32;

/** Names that reach the process, modules, the global object or the Function constructor. */
const DENY: ReadonlySet<string> = new Set([
  'constructor', '__proto__', 'prototype', 'process', 'require', 'module', 'exports', 'globalThis',
  'global', 'window', 'self', 'eval', 'Function', 'AsyncFunction', 'GeneratorFunction', 'import',
  'Reflect', 'Proxy', 'Buffer', 'child_process', 'mainModule', 'binding', 'dlopen', 'arguments',
  'caller', 'callee', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
  'fetch', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'WebAssembly', 'Deno', 'Bun',
]);

const MATH: ReadonlySet<string> = new Set([
  'abs', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atan2', 'atanh', 'cbrt', 'ceil', 'clz32', 'cos',
  'cosh', 'exp', 'expm1', 'floor', 'fround', 'hypot', 'imul', 'log', 'log10', 'log1p', 'log2', 'max',
  'min', 'pow', 'random', 'round', 'sign', 'sin', 'sinh', 'sqrt', 'tan', 'tanh', 'trunc',
  'E', 'LN10', 'LN2', 'LOG10E', 'LOG2E', 'PI', 'SQRT1_2', 'SQRT2',
]);

const LITERAL_WORDS: ReadonlySet<string> = new Set(['true', 'false', 'null', 'undefined', 'NaN', 'Infinity']);

const OPERATORS: ReadonlySet<string> = new Set([
  '+', '-', '*', '/', '%', '**', '(', ')', ',', '<', '>', '<=', '>=', '==', '!=', '===', '!==',
  '&&', '||', '??', '!', '~', '&', '|', '^', '<<', '>>', '>>>', '?', ':',
]);

interface CodeVerdict {
  reason: string;
  token: string;
}

function text(src: string, t: Token | undefined): string {
  return t === undefined ? '' : src.slice(t.start, t.end);
}

function isPunct(src: string, t: Token | undefined, p: string): boolean {
  return t !== undefined && t.kind === 'punct' && t.end - t.start === p.length && src.startsWith(p, t.start);
}

/** Judge tokens [a, b) as the input's code. `length` is how many source characters the input covers. */
function judgeCode(src: string, tokens: readonly Token[], a: number, b: number, length: number): CodeVerdict | undefined {
  if (b <= a) return undefined;
  if (b - a === 1) {
    const t = tokens[a];
    if (t.kind === 'num' || t.kind === 'str') return undefined;
    if (t.kind === 'ident' || t.kind === 'keyword') {
      const raw = text(src, t);
      if (raw.includes('\\')) return { reason: 'input adds a unicode-escaped identifier', token: raw };
      return DENY.has(raw) ? { reason: `input names '${raw}'`, token: raw } : undefined;
    }
  }
  let named = false;
  for (let k = a; k < b; k++) {
    const kind = tokens[k].kind;
    if (kind !== 'num' && kind !== 'punct' && kind !== 'comment') { named = true; break; }
  }
  if (!named && length < INERT_PUNCTUATION_LENGTH) return undefined;

  for (let k = a; k < b; k++) {
    const t = tokens[k];
    const raw = text(src, t);
    const prev = tokens[k - 1];
    const next = tokens[k + 1];
    switch (t.kind) {
      case 'num':
      case 'str':
      case 'regex':
      case 'comment':
        break;
      case 'template':
        // A chunk that starts with '}' only closes a substitution the app (or the input) opened.
        if (src.charCodeAt(t.start) === 96) return { reason: 'input adds a template literal', token: raw };
        break;
      case 'invalid':
        return { reason: `input adds unexpected character '${raw}'`, token: raw };
      case 'keyword':
        if (!LITERAL_WORDS.has(raw)) return { reason: `input adds keyword '${raw}'`, token: raw };
        break;
      case 'ident': {
        if (raw.includes('\\')) return { reason: 'input adds a unicode-escaped identifier', token: raw };
        const name = identifierName(raw);
        if (DENY.has(name)) return { reason: `input names '${name}'`, token: name };
        if (LITERAL_WORDS.has(name)) break;
        const mathMember = MATH.has(name) && (!isPunct(src, prev, '.') || text(src, tokens[k - 2]) === 'Math');
        if (isPunct(src, prev, '.') && k - 1 >= a && !mathMember) {
          return { reason: `input accesses property '${name}'`, token: name };
        }
        if (isPunct(src, next, '(') && !mathMember) return { reason: `input calls '${name}'`, token: name };
        break;
      }
      case 'punct': {
        if (raw === '.') {
          if (text(src, prev) === 'Math' && next !== undefined && next.kind === 'ident' && MATH.has(text(src, next))) break;
          if (next !== undefined && (next.kind === 'ident' || next.kind === 'keyword')) {
            const name = identifierName(text(src, next));
            return DENY.has(name) ? { reason: `input names '${name}'`, token: name } : { reason: `input accesses property '${name}'`, token: name };
          }
          return { reason: "input adds property access '.'", token: raw };
        }
        if (raw === '(' && prev !== undefined && k - 1 >= a) {
          const p = text(src, prev);
          if (p === ')' || p === ']' || prev.kind === 'str' || prev.kind === 'template' || prev.kind === 'regex') {
            return { reason: 'input adds a call', token: raw };
          }
        }
        if (!OPERATORS.has(raw)) return { reason: `input adds '${raw}'`, token: raw };
        break;
      }
    }
  }
  return undefined;
}

/** First token index whose end lies beyond `pos` (tokens are in source order). */
function firstTokenEndingAfter(tokens: readonly Token[], pos: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid].end > pos) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface SpanVerdict extends CodeVerdict {
  breakout: boolean;
}

function judgeSpan(src: string, tokens: readonly Token[], span: Span): SpanVerdict | undefined {
  let a = firstTokenEndingAfter(tokens, span.start);
  let breakout = false;
  if (a < tokens.length && tokens[a].start < span.start) {
    const k = tokens[a].kind;
    if (k !== 'ident' && k !== 'keyword' && k !== 'num') {
      // The app's literal: data, unless the input ended it early (a breakout).
      breakout = tokens[a].end < span.end && (k === 'str' || k === 'template');
      a++;
    }
  }
  let b = a;
  while (b < tokens.length && tokens[b].start < span.end) b++;
  const v = judgeCode(src, tokens, a, b, span.end - span.start);
  if (v === undefined) return undefined;
  return breakout ? { ...v, reason: `input breaks out of a string literal; ${v.reason.replace(/^input /, '')}`, breakout } : { ...v, breakout };
}

/** Cheap exit: a run of plain words that are neither keywords nor deny-listed cannot add code. */
function plainWords(v: string): boolean {
  let word = '';
  for (let i = 0; i <= v.length; i++) {
    const c = i < v.length ? v.charCodeAt(i) : 32;
    const wordChar = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;
    if (wordChar) {
      word += v[i];
      continue;
    }
    if (c !== 32) return false;
    if (word !== '' && (isKeyword(word) || DENY.has(word))) return false;
    word = '';
  }
  return true;
}

function finding(input: TaintInput, via: string, v: CodeVerdict, direction: string, breakout: boolean): Finding {
  return {
    kind: 'code_injection',
    input,
    reason: v.reason,
    detail: { via, token: v.token.length > 40 ? `${v.token.slice(0, 40)}…` : v.token, direction, breakout },
  };
}

export const detectCodeInjection: Detector<'code.eval'> = (resource, inputs) => {
  const src = resource.source;
  const found = overlaps(src, inputs, MIN_INPUT);
  if (found.length === 0) return undefined;
  let stopAt = 0;
  for (const o of found) {
    if (o.direction === 'payload-in-input') stopAt = Infinity;
    else if (!plainWords(o.input.value)) for (const s of o.spans) stopAt = Math.max(stopAt, s.end);
  }
  if (stopAt === 0) return undefined;
  const tokens = tokenize(src, stopAt);
  for (const o of found) {
    if (o.direction === 'payload-in-input') {
      const v = judgeCode(src, tokens, 0, tokens.length, src.length);
      if (v !== undefined) return finding(o.input, resource.via, v, 'payload-in-input', false);
      continue;
    }
    if (plainWords(o.input.value)) continue;
    for (const span of o.spans) {
      const v = judgeSpan(src, tokens, span);
      if (v !== undefined) return finding(o.input, resource.via, v, 'input-in-payload', v.breakout);
    }
  }
  return undefined;
};
