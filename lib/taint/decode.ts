import { BYTES_READ, LONG_VALUE } from './bytes';

/**
 * Decoded forms of an input. An app that base64-decodes a query parameter
 * before building a command is as injectable as one that uses it raw, so
 * each plausible decoding is taint too, and remembers how it was derived.
 * Every decoder is a single linear pass and refuses early when the value
 * cannot be of its kind, so the common case (plain text) costs a few
 * character tests.
 */

export interface DecodedForm {
  value: string;
  decoding: string[];
  /** Character classes of `value` (CH_* bits). */
  chars: number;
}

const MAX_DEPTH = 2;
const MAX_FORMS = 6;

const NONE: DecodedForm[] = [];
Object.freeze(NONE);

export function decodedForms(raw: string): DecodedForm[] {
  return formsOf(raw, classify(raw));
}

/** The CH_* bits of `v`, as extraction sets them on each input. */
export function charsOf(v: string): number {
  return classify(v) & CHAR_CLASSES;
}

/** decodedForms for a value whose `classify` result the caller already has. */
export function formsOf(raw: string, cls: number): DecodedForm[] {
  const shape = cls & SHAPE;
  // Most values are plain text: no decoder applies, and one empty (frozen) result is shared.
  if (shape === 0) return NONE;
  // Most of the rest are words that are also valid base64 ('platform', 'email') and do not decode
  // to text: one call settles them, without the general expansion's arrays.
  if (shape === MAY_BASE64 && decodeValidBase64(raw) === undefined) return NONE;
  const out: DecodedForm[] = [];
  expand(raw, shape, [], out, 0);
  return out.length === 0 ? NONE : out;
}

// Which decoders could apply, from one pass over the value (each decoder still validates in full,
// except base64, whose whole test is this pass: see decodeValidBase64).
const MAY_URL = 1;
const MAY_BASE64 = 2;
const MAY_JSON = 4;
const MAY_HTML = 8;
const MAY_HEX = 16;
const SHAPE = MAY_URL | MAY_BASE64 | MAY_JSON | MAY_HTML | MAY_HEX;
const TRIGGERS = MAY_URL | MAY_JSON | MAY_HTML;

/*
 * Character classes a value holds, collected by the same pass: detectors read
 * them to pass over inputs that cannot matter to them without reading the
 * input again (a word cannot change an SQL query's tokens, an IPv4 host
 * cannot be spelled without a digit or non-ASCII, path normalisation only
 * rewrites what has a '/').
 */
/** An ASCII digit. */
export const CH_DIGIT = 128;
/** A character outside [0-9A-Za-z_] (non-ASCII included). */
export const CH_NONWORD = 256;
/** A character at or above U+0080. */
export const CH_NONASCII = 512;
/** '/'. */
export const CH_SLASH = 1024;
/** '@', '?' or '#': with '/', where a URL's host text may start or end (the SSRF check reads it without them). */
export const CH_URL_MARK = 2048;
/** The CH_* bits of a `classify` result. */
export const CHAR_CLASSES = CH_DIGIT | CH_NONWORD | CH_NONASCII | CH_SLASH | CH_URL_MARK;

// Per ASCII character: the trigger bits above ('%' '+' for url, '\\' for json, '&' for html), its CH_*
// classes, and whether it is in the base64 alphabet (incl. base64url) or a hex digit. Non-ASCII is NON_ASCII.
const CHAR_B64 = 32;
const CHAR_HEX = 64;
const CHARS = new Uint16Array(128).fill(CH_NONWORD);
for (let c = 0x30; c <= 0x39; c++) CHARS[c] = CHAR_B64 | CHAR_HEX | CH_DIGIT;
for (let c = 0x41; c <= 0x5a; c++) CHARS[c] = CHAR_B64 | (c <= 0x46 ? CHAR_HEX : 0);
for (let c = 0x61; c <= 0x7a; c++) CHARS[c] = CHAR_B64 | (c <= 0x66 ? CHAR_HEX : 0);
CHARS[0x5f] = CHAR_B64;
CHARS[0x2b] = CHAR_B64 | MAY_URL | CH_NONWORD; // '+': also form-encoded space
CHARS[0x2d] = CHAR_B64 | CH_NONWORD;
CHARS[0x2f] = CHAR_B64 | CH_NONWORD | CH_SLASH;
CHARS[0x25] = MAY_URL | CH_NONWORD;
CHARS[0x5c] = MAY_JSON | CH_NONWORD;
CHARS[0x26] = MAY_HTML | CH_NONWORD;
CHARS[0x40] = CHARS[0x3f] = CHARS[0x23] = CH_URL_MARK | CH_NONWORD;
const NON_ASCII = CH_NONASCII | CH_NONWORD;

/** Where a long value's UTF-8 bytes are read from (lib/taint/bytes.ts). */
const UTF8 = new TextEncoder();
const BYTES = new Uint8Array(BYTES_READ);
/** Values from this length on are read from their UTF-8 bytes (classifyLong); a test seam moves it. */
let byteReadFrom = LONG_VALUE;

/** Test seam: read values from this length on from their UTF-8 bytes (Infinity: never, so by character). */
export function __readBytesFrom(length: number): void {
  byteReadFrom = length;
}

/*
 * Every value of every request passes here, so the loop does two bit
 * operations per character: what all characters have in common (alphabets)
 * and what any character has (triggers, character classes). The result holds
 * both: decoder bits (SHAPE) and CH_* bits.
 */
export function classify(v: string): number {
  const n = v.length;
  // A long value (a cookie, a token, a text field) is read from its bytes. The short ones, most of a request's,
  // run the loop below as it stands: with it and the lines around it moved into helpers shared with classifyLong,
  // a short value took 5-10 % longer on Node 24 (session 31).
  if (n >= byteReadFrom) return classifyLong(v);
  // Up to two trailing '=' are base64 padding; an '=' anywhere else rules base64 (and hex) out.
  let end = n;
  if (end > 0 && v.charCodeAt(end - 1) === 0x3d) {
    end--;
    if (end > 0 && v.charCodeAt(end - 1) === 0x3d) end--;
  }
  let all = CHAR_B64 | CHAR_HEX;
  let any = 0;
  for (let i = 0; i < end; i++) {
    const c = v.charCodeAt(i);
    const k = c < 128 ? CHARS[c]! : NON_ASCII;
    all &= k;
    any |= k;
  }
  return shapeOf(v, n, end, all, any);
}

/**
 * `classify` from the UTF-8 bytes: a non-ASCII character gives only bytes of 0x80 and above, each of them
 * NON_ASCII as the character is, and an ASCII byte is its character.
 */
function classifyLong(v: string): number {
  const n = v.length;
  let end = n;
  if (v.charCodeAt(end - 1) === 0x3d) {
    end--;
    if (v.charCodeAt(end - 1) === 0x3d) end--;
  }
  const r = UTF8.encodeInto(v, BYTES);
  // The padding '=' (one byte each) are left out, as by character.
  const stop = r.read > end ? r.written - (r.read - end) : r.written;
  let all = CHAR_B64 | CHAR_HEX;
  let any = 0;
  for (let j = 0; j < stop; j++) {
    const b = BYTES[j]!;
    const k = b < 128 ? CHARS[b]! : NON_ASCII;
    all &= k;
    any |= k;
  }
  // A value longer than the buffer is read on by character.
  for (let i = r.read; i < end; i++) {
    const c = v.charCodeAt(i);
    const k = c < 128 ? CHARS[c]! : NON_ASCII;
    all &= k;
    any |= k;
  }
  return shapeOf(v, n, end, all, any);
}

/** The classify result from what all characters before `end` have in common (`all`) and what any has (`any`). */
function shapeOf(v: string, n: number, end: number, all: number, any: number): number {
  // The trailing '=' the loop left out are not word characters.
  if (end < n) any |= CH_NONWORD;
  let shape = any & (TRIGGERS | CHAR_CLASSES);
  if ((all & CHAR_B64) !== 0 && n >= 4) shape |= MAY_BASE64;
  if (end === n && n >= 6 && ((all & CHAR_HEX) !== 0 || prefixedHex(v))) shape |= MAY_HEX;
  return shape;
}

/** `0x` or `0X` and hex digits after it. */
function prefixedHex(v: string): boolean {
  if (v.charCodeAt(0) !== 0x30 || (v.charCodeAt(1) | 0x20) !== 0x78) return false;
  for (let i = 2; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 128 || (CHARS[c]! & CHAR_HEX) === 0) return false;
  }
  return true;
}

function seen(out: readonly DecodedForm[], d: string): boolean {
  for (let i = 0; i < out.length; i++) if (out[i]!.value === d) return true;
  return false;
}

function expand(value: string, shape: number, chain: string[], out: DecodedForm[], depth: number): void {
  if (depth >= MAX_DEPTH || out.length >= MAX_FORMS) return;
  for (let i = 0; i < DECODERS.length; i++) {
    const entry = DECODERS[i]!;
    if ((shape & entry[2]) === 0) continue;
    const name = entry[0];
    const decode = entry[1];
    const d = decode(value);
    if (d === undefined || d === value || d.length === 0) continue;
    if (seen(out, d)) continue;
    const next = [...chain, name];
    const cls = classify(d);
    out.push({ value: d, decoding: next, chars: cls & CHAR_CLASSES });
    if (out.length >= MAX_FORMS) return;
    if (depth + 1 < MAX_DEPTH) expand(d, cls & SHAPE, next, out, depth + 1);
  }
}

/** URL decoding, with '+' as space (form encoding). Tolerates malformed escapes. */
export function urlDecode(v: string): string | undefined {
  const hasPercent = v.indexOf('%') !== -1;
  if (!hasPercent && v.indexOf('+') === -1) return undefined;
  const plus = v.replaceAll('+', ' ');
  // Nothing else to decode (a phone number's '+', a form-encoded space): no decoder call.
  if (!hasPercent) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    // Decode what is decodable: a stray '%' must not hide a valid '%3B' after it.
    return plus.replace(/%[0-9a-fA-F]{2}/g, (m) => String.fromCharCode(parseInt(m.slice(1), 16)));
  }
}

function isPrintable(s: string): boolean {
  let letters = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 9 || c === 10 || c === 13) continue;
    if (c < 0x20 || c === 0x7f || c === 0xfffd) return false;
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) letters++;
  }
  return letters > 0;
}

/*
 * A byte-at-a-time look at decoded bytes that rejects, without allocating,
 * what isPrintable would certainly reject after a full decode: an ASCII
 * control byte, malformed UTF-8 (which decodes to U+FFFD), or no ASCII
 * letter at all. Most plain words are valid base64 whose bytes fail this
 * within the first few. For ASCII bytes it is the whole of isPrintable's
 * test, so ASCII text that passes needs no second look.
 */
let utf8Need = 0;
let utf8Letters = 0;

function textStart(): void {
  utf8Need = 0;
  utf8Letters = 0;
}

/** False when the byte makes the text certainly unprintable. */
function textByte(b: number): boolean {
  if (utf8Need > 0) {
    if ((b & 0xc0) !== 0x80) return false;
    utf8Need--;
    return true;
  }
  if (b < 0x80) {
    if (b < 0x20 ? b !== 9 && b !== 10 && b !== 13 : b === 0x7f) return false;
    if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) utf8Letters++;
    return true;
  }
  if (b >= 0xc2 && b <= 0xdf) utf8Need = 1;
  else if (b >= 0xe0 && b <= 0xef) utf8Need = 2;
  else if (b >= 0xf0 && b <= 0xf4) utf8Need = 3;
  else return false;
  return true;
}

function textEnd(): boolean {
  return utf8Need === 0 && utf8Letters > 0;
}

const B64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 26; i++) {
  B64[0x41 + i] = i;
  B64[0x61 + i] = 26 + i;
}
for (let i = 0; i < 10; i++) B64[0x30 + i] = 52 + i;
B64[0x2b] = B64[0x2d] = 62; // + and - (base64url)
B64[0x2f] = B64[0x5f] = 63; // / and _ (base64url)

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

/** base64 and base64url, kept only when the result is printable text. */
export function base64Decode(v: string): string | undefined {
  const n = v.length;
  if (n < 4) return undefined;
  let pad = 0;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (alnum || c === 0x2b || c === 0x2f || c === 0x2d || c === 0x5f) {
      if (pad > 0) return undefined;
      continue;
    }
    if (c === 0x3d && i >= n - 2) {
      pad++;
      continue;
    }
    return undefined;
  }
  return decodeValidBase64(v);
}

/** base64Decode for a value `classify` already found to be alphabet plus at most two trailing '='. */
function decodeValidBase64(v: string): string | undefined {
  const n = v.length;
  const pad = v.charCodeAt(n - 1) !== 0x3d ? 0 : v.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  const m = n - pad;
  if (m % 4 === 1) return undefined;
  // One pass decodes the bytes through the text check. Most plain words fail it within
  // the first bytes; text that decodes to ASCII (most that passes) is assembled here, so
  // only non-ASCII text pays for a Buffer and a UTF-8 decode.
  textStart();
  let acc = 0;
  let bits = 0;
  let ascii = true;
  let out = '';
  for (let i = 0; i < m; i++) {
    acc = ((acc << 6) | B64[v.charCodeAt(i)]!) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      const b = (acc >> bits) & 0xff;
      if (!textByte(b)) return undefined;
      if (b >= 0x80) ascii = false;
      else if (ascii) out += String.fromCharCode(b);
    }
  }
  if (!textEnd()) return undefined;
  if (ascii) return out;
  const text = Buffer.from(v, 'base64').toString('utf8');
  return isPrintable(text) ? text : undefined;
}

/** JSON string unescaping (\" \\ \n \u0027 ...), as when an app JSON.parses a string it received. */
export function jsonUnescape(v: string): string | undefined {
  if (v.indexOf('\\') === -1) return undefined;
  try {
    const r: unknown = JSON.parse(`"${v.replace(/(^|[^\\])"/g, '$1\\"')}"`);
    return typeof r === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', semi: ';', colon: ':', sol: '/', bsol: '\\',
  verbar: '|', vert: '|', grave: '`', dollar: '$', lpar: '(', rpar: ')', num: '#', excl: '!', equals: '=', period: '.',
  comma: ',', lowbar: '_', percnt: '%', ast: '*', plus: '+', Tab: '\t', NewLine: '\n',
};

/** HTML entities: named (common set), decimal and hex references. */
export function htmlDecode(v: string): string | undefined {
  if (v.indexOf('&') === -1) return undefined;
  let changed = false;
  const r = v.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,8});?/g, (m, body: string) => {
    let ch: string | undefined;
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (code > 0 && code <= 0x10ffff) ch = String.fromCodePoint(code);
    } else ch = NAMED[body];
    if (ch === undefined) return m;
    changed = true;
    return ch;
  });
  return changed ? r : undefined;
}

/** Hex-encoded text (`2e2e2f`), kept only when it decodes to printable text. */
export function hexDecode(v: string): string | undefined {
  let s = v;
  if (s.startsWith('0x') || s.startsWith('0X')) s = s.slice(2);
  if (s.length < 6 || s.length % 2 !== 0) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))) return undefined;
  }
  textStart();
  for (let i = 0; i < s.length; i += 2) if (!textByte((hexValue(s.charCodeAt(i)) << 4) | hexValue(s.charCodeAt(i + 1)))) return undefined;
  if (!textEnd()) return undefined;
  const text = Buffer.from(s, 'hex').toString('utf8');
  return isPrintable(text) ? text : undefined;
}

const DECODERS: ReadonlyArray<[string, (v: string) => string | undefined, number]> = [
  ['url', urlDecode, MAY_URL],
  ['base64', decodeValidBase64, MAY_BASE64],
  ['json', jsonUnescape, MAY_JSON],
  ['html', htmlDecode, MAY_HTML],
  ['hex', hexDecode, MAY_HEX],
];
