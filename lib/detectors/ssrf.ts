import type { Detector, Finding, NetResource, TaintInput } from '../types';
import { CH_DIGIT, CH_NONASCII, CH_SLASH, CH_URL_MARK } from '../taint/decode';
import { BigramIndex } from '../taint/overlap';
import { INTERNAL_CLASSES, classifyHost, inspectAddress, parseHostSpelling, type AddressInfo } from './ip';

/**
 * SSRF: an untrusted input chose the destination host, and the destination is
 * internal. The destination is judged by the address actually connected
 * (`resource.address`, filled in after DNS at connect time, which is what
 * catches DNS rebinding and redirects); before a lookup it falls back to the
 * host itself when that is an IP literal in any spelling, `localhost`, or a
 * metadata host name. A name with no address yet is not judged: the hook calls
 * again at connect time.
 */

interface Destination {
  info: AddressInfo;
  via: 'address' | 'host';
}

function destination(resource: NetResource): Destination | undefined {
  if (resource.address !== undefined && resource.address !== '') {
    const info = inspectAddress(resource.address);
    if (info.class !== 'invalid') {
      // A metadata name is reported even if a resolver answers something else.
      if (info.class !== 'metadata') {
        const byName = classifyHost(resource.host);
        if (byName !== undefined && byName.class === 'metadata') return { info: { ...byName, address: info.address }, via: 'host' };
      }
      return { info, via: 'address' };
    }
  }
  const info = classifyHost(resource.host);
  return info === undefined ? undefined : { info, via: 'host' };
}

/**
 * Where the host sits in a URL string, following the WHATWG authority rules closely enough for taint.
 * One pass with character codes: it runs on every outgoing request, and String#lastIndexOf (for the
 * last '@' and ':') is a runtime call that cost more than the rest of the scan.
 */
export function hostSpan(url: string): { start: number; end: number } | undefined {
  const scheme = url.indexOf('://');
  let start: number;
  if (scheme !== -1) start = scheme + 3;
  else if (url.startsWith('//')) start = 2;
  else return undefined;
  // Special schemes skip any run of slashes and read '\' as '/'.
  const n = url.length;
  while (start < n) {
    const c = url.charCodeAt(start);
    if (c !== 0x2f && c !== 0x5c) break;
    start++;
  }
  let end = start;
  let at = -1;
  let colon = -1;
  while (end < n) {
    const c = url.charCodeAt(end);
    // '/' '\' '?' '#' end the authority.
    if (c === 0x2f || c === 0x5c || c === 0x3f || c === 0x23) break;
    if (c === 0x40) at = end;
    else if (c === 0x3a) colon = end;
    end++;
  }
  if (at !== -1) start = at + 1;
  if (url.charCodeAt(start) === 0x5b) {
    const close = url.indexOf(']', start);
    if (close !== -1 && close < end) end = close + 1;
  } else if (colon >= start) {
    end = colon;
  }
  return start <= end ? { start, end } : undefined;
}

/** Characters that let a partial input reshape a host name (add labels, userinfo, port, path). */
function hasHostStructure(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    // . @ : / ? # \ [ ] % and controls/space
    if (c === 0x2e || c === 0x40 || c === 0x3a || c === 0x2f || c === 0x3f || c === 0x23 || c === 0x5c || c === 0x5b || c === 0x5d || c === 0x25 || c <= 0x20) {
      return true;
    }
  }
  return false;
}

function normaliseHost(h: string): string {
  const lit = parseHostSpelling(h);
  if (lit !== undefined) return lit;
  const lower = h.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

/** The input as hostOfInput reads it: as the URL parser reads it (without the spaces and controls around it). */
function parserText(raw: string): string {
  return raw.length > 0 && (raw.charCodeAt(0) <= 0x20 || raw.charCodeAt(raw.length - 1) <= 0x20) ? asParserReads(raw) : raw;
}

/** Does hostOfInput read `v` (parserText) as a URL with its own scheme? `http:127.0.0.1` and `http:\\\\127.0.0.1` are URLs too. */
function hasOwnScheme(v: string): boolean {
  return v.includes('://') || startsWithSpecialScheme(v);
}

/**
 * The host the input names when read as a URL or `host[:port]`, and the port
 * it implies ('' when it names none: a bare host says nothing about the port).
 * `asAuthority`: read it as what follows an app's own `http://`, even when it
 * has a scheme of its own (`https:u@127.0.0.1` is then userinfo and a host).
 */
function hostOfInput(raw: string, asAuthority: boolean): { host: string; port: string } | undefined {
  if (raw.length > 2048) return undefined;
  // Spaces and controls around it are dropped by the parser, but not once `http://` is put before them.
  const v = parserText(raw);
  const hasScheme = !asAuthority && hasOwnScheme(v);
  let text: string;
  if (hasScheme) text = v;
  else if (v.startsWith('//')) text = `http:${v}`;
  else text = `http://${v}`;
  try {
    const u = new URL(text);
    if (u.hostname === '') return undefined;
    const port = u.port !== '' ? u.port : hasScheme ? (DEFAULT_PORTS[u.protocol] ?? '') : '';
    return { host: normaliseHost(u.hostname), port };
  } catch {
    return undefined;
  }
}

/** Does `named` (hostOfInput's reading) name the destination's host, and its port if it names one? */
function namesDestination(named: { host: string; port: string } | undefined, resource: NetResource): boolean {
  if (named === undefined) return false;
  if (named.host !== normaliseHost(resource.host) && (resource.rawHost === undefined || named.host !== normaliseHost(resource.rawHost))) {
    return false;
  }
  return namesPort(named.port, resource);
}

// What each ASCII character means in a host text, for mayNameHost. Forbidden host code points make
// the URL parser reject the input; '\' and '%' (and non-ASCII) could become anything; the IP-spelling
// characters are hex digits, 'x', '.', ':', '[' and ']'.
const HC_FORBIDDEN = 1;
const HC_WILD = 2;
const HC_PERCENT = 4;
const HC_DECIDES = HC_FORBIDDEN | HC_WILD | HC_PERCENT;
const HC_DIGIT = 8;
const HC_DOT = 16;
const HC_COLON = 32;
const HC_IP = 64;
const HOST_CHARS = new Uint16Array(128);
for (let c = 0; c <= 0x20; c++) HOST_CHARS[c] = HC_FORBIDDEN;
for (const c of [0x3c, 0x3e, 0x5e, 0x7c, 0x7f]) HOST_CHARS[c] = HC_FORBIDDEN;
HOST_CHARS[0x5c] = HC_WILD;
HOST_CHARS[0x25] = HC_PERCENT;
for (let c = 0x30; c <= 0x39; c++) HOST_CHARS[c] = HC_DIGIT | HC_IP;
for (const c of 'abcdefxABCDEFX[]') HOST_CHARS[c.charCodeAt(0)] = HC_IP;
HOST_CHARS[0x2e] = HC_DOT | HC_IP;
HOST_CHARS[0x3a] = HC_COLON | HC_IP;
// Where the legacy url.parse ends a host and the WHATWG parser reads on (or fails): space, quotes, ';', '<', '>',
// '^', '`', '{', '|', '}' (it ends one at '%', '/', '?', '#' and '\\' too, as the WHATWG reading does or decides
// on). Tabs and newlines it drops, as the WHATWG parser does.
const HC_LEGACY_END = 128;
for (const c of ' "\';<>^`{|}') HOST_CHARS[c.charCodeAt(0)] |= HC_LEGACY_END;
// Where its reading may differ otherwise: a ':' or NUL, which end its host name (legacyHostText).
const HC_LEGACY_NAME_END = 256;
HOST_CHARS[0x3a] |= HC_LEGACY_NAME_END;
HOST_CHARS[0] |= HC_LEGACY_NAME_END;
const HC_LEGACY = HC_LEGACY_END | HC_LEGACY_NAME_END;

/**
 * The host[:port] that the legacy `url.parse` reads in the host text `v[start, end)`, when it differs from the
 * text: an app that hands url.parse's result to http.request connects there. The host ends at the first
 * HC_LEGACY_END character (`127.0.0.1;x` is 127.0.0.1); a trailing `:digits` of what remains is the port; the
 * name ends at its first ':' or NUL (`127.0.0.1:x` and `127.0.0.1:8080:x` are 127.0.0.1 on the default port,
 * `127.0.0.1:8080\0x` too, where the WHATWG parser fails). Undefined when it reads the text as the WHATWG parser
 * does (almost every input).
 */
function legacyHostText(v: string, start: number, end: number): string | undefined {
  let cut = start;
  let nameEnd = -1;
  let lastColon = -1;
  for (; cut < end; cut++) {
    const c = v.charCodeAt(cut);
    if (c < 0x80 && (HOST_CHARS[c]! & HC_LEGACY_END) !== 0) break;
    if (c === 0x3a || c === 0) {
      if (nameEnd === -1) nameEnd = cut;
      if (c === 0x3a) lastColon = cut;
    }
  }
  // An IPv6 literal keeps its brackets and colons.
  if (v.charCodeAt(start) === 0x5b) return cut < end ? v.slice(start, cut) : undefined;
  let hostEnd = cut;
  if (lastColon !== -1) {
    let d = lastColon + 1;
    while (d < cut && v.charCodeAt(d) >= 0x30 && v.charCodeAt(d) <= 0x39) d++;
    if (d === cut) hostEnd = lastColon;
  }
  const name = nameEnd !== -1 && nameEnd < hostEnd ? nameEnd : hostEnd;
  if (cut === end && name === hostEnd) return undefined;
  const host = v.slice(start, name);
  return hostEnd + 1 < cut ? `${host}:${v.slice(hostEnd + 1, cut)}` : host;
}

/** legacyHostText of the input's host text, as mayNameHost finds it. */
function legacyReading(v: string): string | undefined {
  const start = hostTextIn(v, hostTextStart(v));
  return legacyHostText(v, start, hostTextEnd);
}

/** Where the host text that hostTextIn last found ends (a module-level result: no object per input). */
let hostTextEnd = 0;

/**
 * The host text of the authority that starts at `from`: it ends at the first '/', '?' or '#' (hostTextEnd) and
 * starts after its last '@', which is returned. Tracked in one pass: String#lastIndexOf is a slow runtime call,
 * and this runs per input.
 */
function hostTextIn(v: string, from: number): number {
  let start = from;
  let end = from;
  while (end < v.length) {
    const c = v.charCodeAt(end);
    if (c === 0x2f || c === 0x3f || c === 0x23) break;
    if (c === 0x40) start = end + 1;
    end++;
  }
  hostTextEnd = end;
  return start;
}

/**
 * The URL parser percent-decodes hosts: judge the decoded text of `v[start, end)` instead. It drops tabs,
 * newlines and the spaces and controls around the input before it decodes (`http://%31%32%37.0.0.1 ` names
 * 127.0.0.1), so those go first; trimming the host text's own edges too only lets more through to the parse.
 */
function mayNameDecodedHost(v: string, start: number, end: number, resource: NetResource, facts: HostFacts): boolean {
  let text: string;
  try {
    text = decodeURIComponent(asParserReads(v.slice(start, end)));
  } catch {
    return false;
  }
  return mayNameHost(text, resource, facts, true);
}

/**
 * Cheap pre-check before parsing an input as a URL (the parse costs a few µs
 * and a request has dozens of inputs): the input's host text must equal the
 * host ignoring case and a trailing dot, or be something the URL parser
 * could turn into it — an IP spelling (hex digits, 'x', '.', ':', brackets),
 * percent-encoding, backslashes or non-ASCII (full-width digits, IDNA).
 * Digits-and-dots spellings (prices, versions, counts, `host:port` of an IP:
 * the common benign case) are read as WHATWG IPv4 here and compared as
 * numbers, without a parse. `chars`: extraction's character classes of `v`, when it is an input as extracted.
 */
function mayNameHost(v: string, resource: NetResource, facts: HostFacts, decoded = false, chars?: number): boolean {
  const from = hostTextStart(v);
  // Holding none of '/', '?', '#' and '@' (most of a request's inputs, as extraction classed them), the host text
  // is all of `v` from here: hostTextIn need not look.
  const plain = chars !== undefined && (chars & (CH_SLASH | CH_URL_MARK)) === 0;
  // Without '@' the host text starts here, and its first character already
  // rules out most inputs (a price cannot spell a name, a word cannot spell an IP).
  if (!decoded && !mayStartHost(v.charCodeAt(from), facts) && (plain || schemeScanEnd === v.length || v.indexOf('@', from) === -1)) return false;
  const start = plain ? from : hostTextIn(v, from);
  const end = plain ? v.length : hostTextEnd;
  // One pass. The characters that decide alone (forbidden, '\\', '%', non-ASCII) are looked for to the end;
  // whether the host text is an IP spelling (and digits and dots) is tracked only until a character rules it out.
  let ipLike = true;
  // Digits and dots, then optionally one ':' and digits (a port).
  let digitsAndDots = true;
  let colon = -1;
  let legacyRead = false;
  for (let i = start; i < end; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x80) return true;
    const k = HOST_CHARS[c]!;
    // The legacy url.parse may read another host from here on (legacyHostText): judge its reading first, once.
    // Characters before this one are in both readings, so an early answer above holds for both.
    if ((k & HC_LEGACY) !== 0 && !decoded && !legacyRead) {
      legacyRead = true;
      const legacy = legacyHostText(v, start, end);
      if (legacy !== undefined && mayNameHost(`//${legacy}`, resource, facts)) return true;
    }
    if ((k & HC_DECIDES) !== 0) {
      // The URL parser drops tabs and newlines anywhere, and trailing spaces and controls, before it reads a URL:
      // `http://127.0.0.\t1/` and `http://127.0.0.1 ` name 127.0.0.1 (`new URL(input)` hands the hook that).
      if ((k & HC_FORBIDDEN) !== 0) return !decoded && parserDrops(v, i) && mayNameHost(asParserReads(v), resource, facts);
      if ((k & HC_WILD) !== 0) return true;
      if (!decoded) return mayNameDecodedHost(v, start, end, resource, facts);
    }
    if (!ipLike) continue;
    if ((k & HC_COLON) !== 0 && colon === -1 && i > start) colon = i;
    else if ((k & HC_DIGIT) === 0 && !((k & HC_DOT) !== 0 && colon === -1)) digitsAndDots = false;
    if ((k & HC_IP) === 0) {
      // A host whose every name is an IP literal is named only by an IP spelling. This character is in none, and
      // it stays in the host whatever follows: the parser drops only tabs, newlines and trailing spaces, decoding
      // '%' or mapping non-ASCII leaves it, and a '\\' after it ends the host after it. The rest need not be read
      // (a session id or a date against a loopback service was scanned to its end).
      if (facts.ipNamesOnly) return false;
      ipLike = false;
    }
  }
  if (ipLike) {
    if (end === start) return false;
    if (digitsAndDots) {
      // `1.2.3.4`, `2130706433`, `0177.1`, `19.99`, `127.0.0.1:8080`: an IPv4 address or nothing.
      if (Number.isNaN(facts.hostV4)) return false;
      if (whatwgIpv4(v, start, colon === -1 ? end : colon) !== facts.hostV4) return false;
      // `host:port` without a scheme (a Host header): a different port does not name this
      // destination. hostOfInput reads it as http, where the URL parser drops port 80.
      if (colon !== -1 && start === 0 && colon + 1 < end) {
        let port = 0;
        for (let j = colon + 1; j < end && port <= 65535; j++) port = port * 10 + v.charCodeAt(j) - 0x30;
        if (port > 65535) return false;
        if (port !== 80 && typeof resource.port === 'number') return port === resource.port;
        if (!namesPort(port === 80 ? '' : String(port), resource)) return false;
      }
      return true;
    }
    // Hex digits without '0x' (`221B`, `1e5`, `cafe`) spell no IPv4 address: against a host named only by IP
    // literals, such a text is judged here rather than by a parse.
    return !facts.ipNamesOnly || mayBeIpSpelling(v, start, end);
  }
  // Necessary for any match below (same first character, or '[', and long enough): most inputs stop here, before any allocation.
  if (!couldName(v, start, end - start, resource.host) && !couldName(v, start, end - start, resource.rawHost)) return false;
  const text = v.slice(start, end).toLowerCase();
  const matches = (h: string | undefined): boolean => {
    if (h === undefined) return false;
    const host = h.toLowerCase();
    return text === host || text.startsWith(`${host}.`) || text.startsWith(`${host}:`) || text.startsWith(`[${host}]`);
  };
  return matches(resource.host) || matches(resource.rawHost);
}

/**
 * Could `v[start, end)`, made of IP-spelling characters and not all decimal, be an IP address as the URL parser
 * reads one? An IPv6 literal starts with '['; in an IPv4 spelling each part is decimal, octal, or hexadecimal
 * after `0x`, and a ':' starts the port (what follows it is left to the parse).
 */
function mayBeIpSpelling(v: string, start: number, end: number): boolean {
  if (v.charCodeAt(start) === 0x5b) return true;
  let part = start;
  let hex = false;
  for (let i = start; i < end; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x3a) break;
    if (c === 0x2e) {
      part = i + 1;
      hex = false;
    } else if (c < 0x30 || c > 0x39) {
      const l = c | 0x20;
      if (l === 0x78 && i === part + 1 && v.charCodeAt(part) === 0x30) hex = true;
      else if (!hex || l < 0x61 || l > 0x66) return false;
    }
  }
  return true;
}

/** Does the URL parser drop `v[i]` (a character at or below U+0020): a tab or newline, or one of the trailing run? */
function parserDrops(v: string, i: number): boolean {
  const c = v.charCodeAt(i);
  if (c === 0x09 || c === 0x0a || c === 0x0d) return true;
  for (let j = i + 1; j < v.length; j++) if (v.charCodeAt(j) > 0x20) return false;
  return true;
}

/** `v` as the URL parser reads it: without leading and trailing C0 controls and spaces, nor tabs and newlines. */
function asParserReads(v: string): string {
  return v.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '').replace(/[\t\n\r]/g, '');
}

/**
 * Where the host text of `v` starts when hostOfInput reads it: after
 * `scheme://` (a scheme is a letter, then letters, digits, '+', '-', '.'; the
 * URL parser strips leading spaces and controls), after a special scheme's
 * ':' and whatever run of '/' and '\\' follows it (`http:127.0.0.1`,
 * `http:///127.0.0.1`, `http:\\\\127.0.0.1` all name 127.0.0.1), after a
 * leading run of two or more '/' or '\\' (`//host`, and against an http(s)
 * base `\\\\host`, `/\\host`), else at 0. The scheme is read in place rather
 * than searched for, because this runs for every input of a request and most
 * start with a word. The URL parser also drops tabs and newlines anywhere, so
 * a scheme broken by one is found by searching, as before.
 */
function hostTextStart(v: string): number {
  const n = v.length;
  schemeScanEnd = 0;
  let i = 0;
  while (i < n && v.charCodeAt(i) <= 0x20) i++;
  if (i === n) return 0;
  const c0 = v.charCodeAt(i);
  if (c0 >= 128 || (SCHEME[c0]! & SCHEME_FIRST) === 0) {
    return i + 1 < n && isSlash(c0) && isSlash(v.charCodeAt(i + 1)) ? slashRunEnd(v, i) : 0;
  }
  const j = schemeCharsEnd(v, i + 1);
  schemeScanEnd = j;
  if (j >= n) return 0;
  const c = v.charCodeAt(j);
  if (c === 0x3a) {
    if (isSpecialScheme(v, i, j)) return slashRunEnd(v, j + 1);
    return v.charCodeAt(j + 1) === 0x2f && v.charCodeAt(j + 2) === 0x2f ? j + 3 : 0;
  }
  if (c === 0x09 || c === 0x0a || c === 0x0d) {
    const scheme = v.indexOf('://');
    if (scheme !== -1) return scheme + 3;
  }
  return 0;
}

function isSlash(c: number): boolean {
  return c === 0x2f || c === 0x5c;
}

/** The end of the run of '/' and '\\' at `from`. */
function slashRunEnd(v: string, from: number): number {
  let k = from;
  while (k < v.length && isSlash(v.charCodeAt(k))) k++;
  return k;
}

/**
 * Is `v[i, j)` a special scheme (`http`, `https`, `ws`, `wss`, `ftp`; `file:` aside), in any case? Read in place,
 * without a slice to look up: every input with a scheme-shaped word before a ':' asks (a URL in a body field, a
 * `key: value` note).
 */
function isSpecialScheme(v: string, i: number, j: number): boolean {
  const len = j - i;
  if (len < 2 || len > 5) return false;
  const a = v.charCodeAt(i) | 0x20;
  const b = v.charCodeAt(i + 1) | 0x20;
  if (a === 0x77) return b === 0x73 && (len === 2 || (len === 3 && (v.charCodeAt(i + 2) | 0x20) === 0x73)); // ws, wss
  if (a === 0x66) return len === 3 && b === 0x74 && (v.charCodeAt(i + 2) | 0x20) === 0x70; // ftp
  if (a !== 0x68 || len < 4 || b !== 0x74) return false; // http, https
  if ((v.charCodeAt(i + 2) | 0x20) !== 0x74 || (v.charCodeAt(i + 3) | 0x20) !== 0x70) return false;
  return len === 4 || (v.charCodeAt(i + 4) | 0x20) === 0x73;
}

/** Where the run of scheme characters (letters, digits, '+', '-', '.') from `from` ends. */
function schemeCharsEnd(v: string, from: number): number {
  let j = from;
  while (j < v.length) {
    const c = v.charCodeAt(j);
    if (c >= 128 || SCHEME[c] === 0) break;
    j++;
  }
  return j;
}

/** Does `v` (after leading spaces and controls) start with a special scheme and ':'? */
function startsWithSpecialScheme(v: string): boolean {
  let i = 0;
  while (i < v.length && v.charCodeAt(i) <= 0x20) i++;
  const j = schemeCharsEnd(v, i);
  return j < v.length && v.charCodeAt(j) === 0x3a && isSpecialScheme(v, i, j);
}

/**
 * How far hostTextStart's scan of scheme characters reached. When it reached
 * the end, the value is one run of letters, digits, '+', '-' and '.', so it
 * holds no '@' and mayNameHost need not search for one.
 */
let schemeScanEnd = 0;

// Scheme characters: letters (which may also start one), digits, '+', '-', '.'.
const SCHEME_FIRST = 2;
const SCHEME = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) SCHEME[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) SCHEME[c] = SCHEME[c | 0x20] = 1 | SCHEME_FIRST;
SCHEME[0x2b] = SCHEME[0x2d] = SCHEME[0x2e] = 1;

/** The values the last of n IPv4 parts may take (it fills the bytes the others left). */
const ROOM = [0, 2 ** 32, 2 ** 24, 2 ** 16, 2 ** 8];

/**
 * `v[start, end)`, made only of digits and dots, read as the WHATWG IPv4
 * parser reads a host: 1–4 parts, a leading 0 means octal, the last part
 * fills the remaining bytes. NaN where the URL parser would fail.
 */
function whatwgIpv4(v: string, start: number, end: number): number {
  if (end - start > 1 && v.charCodeAt(end - 1) === 0x2e) end--; // one trailing dot is allowed
  let value = 0;
  let parts = 0;
  let i = start;
  for (;;) {
    let j = i;
    while (j < end && v.charCodeAt(j) !== 0x2e) j++;
    if (j === i || ++parts > 4) return NaN;
    const octal = j - i > 1 && v.charCodeAt(i) === 0x30;
    let n = 0;
    for (let k = i; k < j; k++) {
      const d = v.charCodeAt(k) - 0x30;
      if (octal && d > 7) return NaN;
      n = n * (octal ? 8 : 10) + d;
      if (n > 0xffffffff) return NaN;
    }
    if (j === end) {
      const room = ROOM[parts]!;
      return n >= room ? NaN : value * room + n;
    }
    if (n > 255) return NaN;
    value = value * 256 + n;
    i = j + 1;
  }
}

/**
 * Can a host text starting with code unit `c` name the destination after URL
 * parsing? IPv4 spellings start with a digit, IPv6 with '['; a name starts with
 * its own first letter in either case. Percent-encoding, backslashes and
 * non-ASCII (IDNA maps full-width forms) could become anything.
 */
function mayStartHost(c: number, facts: HostFacts): boolean {
  if (c >= 0x80 || c === 0x25 || c === 0x5c || c === 0x5b || c === 0x09 || c === 0x0a || c === 0x0d) return true;
  if (c >= 0x30 && c <= 0x39 && facts.digitNames) return true;
  const l = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
  return l === facts.first1 || l === facts.first2;
}

/** What a host text naming `h` can start with: digits (IPv4), nothing plain (IPv6: '['), or its lower-cased first letter. */
function firstOf(h: string | undefined, lit: string | undefined): { digits: boolean; first: number } {
  if (h === undefined || h.length === 0) return { digits: false, first: -1 };
  if (lit !== undefined) return { digits: !lit.includes(':'), first: -1 };
  const c = h.charCodeAt(0);
  return { digits: false, first: c >= 0x41 && c <= 0x5a ? c | 0x20 : c };
}

/** Could `v[start, start + n)` (lower-cased) equal `h`, or start with `h.`, `h:` or `[h]`? A cheap necessary condition. */
function couldName(v: string, start: number, n: number, h: string | undefined): boolean {
  if (h === undefined || h.length === 0 || n < h.length) return false;
  const c = v.charCodeAt(start);
  if (c === 0x5b /* [ */) return n >= h.length + 2;
  const d = h.charCodeAt(0);
  return c === d || (c >= 0x41 && c <= 0x5a ? c | 0x20 : c) === (d >= 0x41 && d <= 0x5a ? d | 0x20 : d);
}

/** The port actually connected, when the resource says. */
function portOf(resource: NetResource): string {
  if (resource.port !== undefined) return String(resource.port);
  if (resource.url === undefined) return '';
  try {
    const u = new URL(resource.url);
    return u.port !== '' ? u.port : (DEFAULT_PORTS[u.protocol] ?? '');
  } catch {
    return '';
  }
}

/**
 * Did this input choose the host? Yes when an occurrence of it covers the
 * whole host, or overlaps a host *name* while carrying host syntax ('.', '@',
 * ':', '/', …: `'http://api.example.com' + '.evil.com'`). A bare label inside
 * an app-built name (`${tenant}.svc.local`, `10.0.0.${n}`) only picks within
 * the namespace the app chose. Independently of spelling, the input also
 * chooses the host when, read as a URL or `host[:port]`, it names the same
 * host (and the same port, if it names one) — this covers hooks that pass a
 * normalised URL and apps that trim or reassemble what they were sent.
 */
export function inputChoosesHost(resource: NetResource, value: string): boolean {
  return choosesHost(hostFacts(resource), resource, value);
}

/**
 * What the destination's host alone decides, for every input. An app calls
 * the same few hosts over and over, so this is kept for the last host and
 * rawHost seen rather than parsed again on each call.
 */
interface HostOnlyFacts {
  readonly host: string;
  readonly rawHost: string | undefined;
  readonly hostIsIp: boolean;
  /** Both host and rawHost are IP literals: an input's host text with a character no IP spelling has cannot name them. */
  readonly ipNamesOnly: boolean;
  /** The host as an IPv4 number; NaN when it is not IPv4. */
  readonly hostV4: number;
  /** mayStartHost: a leading digit can name host or rawHost; the lower-cased first letters of either name (-1: none). */
  readonly digitNames: boolean;
  readonly first1: number;
  readonly first2: number;
  /**
   * The host is an IPv4 address, spelled the same by the app: only an input
   * with an ASCII digit or a non-ASCII character can spell it. Every IPv4
   * spelling has a digit (`0x7f.1`, `2130706433`); percent-escapes of digits
   * hold one too (`%31`, full-width `%EF%BC%91`); non-ASCII covers what IDNA
   * maps to digits (full-width `１２７`, circled, mathematical).
   */
  readonly needsDigits: boolean;
}

/** Per-resource facts, computed once per detector call rather than once per input. */
interface HostFacts extends HostOnlyFacts {
  span: { start: number; end: number } | undefined;
  /** 0: resource.url's bigrams not indexed yet (done on first use: most calls never need them); 1: URL_BIGRAMS holds them; -1: no URL to index. */
  indexed: number;
}

/** Character classes an input needs to spell an IPv4 host (see HostOnlyFacts.needsDigits). */
const SPELLS_IPV4 = CH_DIGIT | CH_NONASCII;

/** The URL's bigrams, for the occurrence test of each input: most inputs are not in the URL. */
const URL_BIGRAMS = new BigramIndex();

let lastHostFacts: HostOnlyFacts | undefined;

function hostOnlyFacts(host: string, rawHost: string | undefined): HostOnlyFacts {
  const last = lastHostFacts;
  if (last !== undefined && last.host === host && last.rawHost === rawHost) return last;
  const lit = parseHostSpelling(host);
  const sameRaw = rawHost === undefined || rawHost === host;
  const rawLit = sameRaw ? lit : parseHostSpelling(rawHost);
  const a = firstOf(host, lit);
  const b = sameRaw ? a : firstOf(rawHost, rawLit);
  return (lastHostFacts = {
    host,
    rawHost,
    hostIsIp: rawLit !== undefined,
    ipNamesOnly: lit !== undefined && rawLit !== undefined,
    hostV4: lit === undefined || lit.includes(':') ? NaN : whatwgIpv4(lit, 0, lit.length),
    digitNames: a.digits || b.digits,
    first1: a.first,
    first2: b.first,
    needsDigits: sameRaw && lit !== undefined && !lit.includes(':'),
  });
}

function hostFacts(resource: NetResource): HostFacts {
  const hs = resource.url === undefined ? undefined : hostSpan(resource.url);
  const h = hostOnlyFacts(resource.host, resource.rawHost);
  return {
    host: h.host,
    rawHost: h.rawHost,
    hostIsIp: h.hostIsIp,
    ipNamesOnly: h.ipNamesOnly,
    hostV4: h.hostV4,
    digitNames: h.digitNames,
    first1: h.first1,
    first2: h.first2,
    needsDigits: h.needsDigits,
    span: hs !== undefined && hs.end > hs.start ? hs : undefined,
    indexed: 0,
  };
}

/** May `value` (length ≥ 2) occur in resource.url? Indexes the URL on the first question of a call. */
function mayOccurInUrl(facts: HostFacts, url: string, value: string): boolean {
  if (facts.indexed === 0) {
    if (url.length < 2) facts.indexed = -1;
    else {
      URL_BIGRAMS.index(url);
      facts.indexed = 1;
    }
  }
  return facts.indexed < 0 || URL_BIGRAMS.mayOccur(value);
}

/** Does an occurrence of `value` in `text` overlap `hs` (with `whole`: cover all of it)? Allocation-free. */
function occursOver(text: string, value: string, hs: { start: number; end: number }, whole: boolean): boolean {
  // Only occurrences starting after this can reach into the span.
  let from = Math.max(0, hs.start - value.length + 1);
  for (;;) {
    const at = text.indexOf(value, from);
    if (at === -1 || at >= hs.end) return false;
    if (whole ? at <= hs.start && at + value.length >= hs.end : at + value.length > hs.start) return true;
    from = at + 1;
  }
}

function choosesHost(facts: HostFacts, resource: NetResource, value: string, chars?: number): boolean {
  if (value.length === 0) return false;
  // Without host syntax (or against an IP host) only an occurrence covering the
  // whole host counts, so an input shorter than the host is left to the URL reading below.
  const partialCounts = !facts.hostIsIp && hasHostStructure(value);
  const hs = facts.span;
  if (resource.url !== undefined && hs !== undefined && (partialCounts || value.length >= hs.end - hs.start)) {
    if ((value.length < 2 || mayOccurInUrl(facts, resource.url, value)) && occursOver(resource.url, value, hs, !partialCounts)) return true;
  }
  const raw = resource.rawHost ?? resource.host;
  if (partialCounts ? raw.includes(value) : value === raw) return true;
  if (!mayNameHost(value, resource, facts, false, chars)) return false;
  if (namesDestination(hostOfInput(value, false), resource)) return true;
  // http.request(url.parse(input)) connects where the legacy parser reads the host.
  const legacy = legacyReading(value);
  if (legacy !== undefined && namesDestination(hostOfInput(legacy, false), resource)) return true;
  // An input with a scheme of its own may also be what follows an app's own `http://` (`http://${input}`),
  // where `https:u@127.0.0.1` is userinfo and a host on port 80, not a URL on port 443.
  return hasOwnScheme(parserText(value)) && namesDestination(hostOfInput(value, true), resource);
}

/** An input naming port `port` ('' when it names none) names this destination's port, or the resource does not say one. */
function namesPort(port: string, resource: NetResource): boolean {
  if (port === '') return true;
  const connected = portOf(resource);
  return connected === '' || port === connected;
}

const CLIENT_ADDRESS_HEADERS = new Set(['headers.x-forwarded-for', 'headers.x-real-ip', 'headers.forwarded', 'headers.true-client-ip', 'headers.cf-connecting-ip']);
const CLIENT_ADDRESS_LENGTHS = new Uint8Array(32);
for (const h of CLIENT_ADDRESS_HEADERS) CLIENT_ADDRESS_LENGTHS[h.length] = 1;

/**
 * Sources are often concatenated strings (`body.address.city`), and reading a
 * character or hashing one flattens it first: the length, stored with the
 * string, rules out almost every input before that.
 */
function isClientAddressHeader(source: string): boolean {
  return source.length < 32 && CLIENT_ADDRESS_LENGTHS[source.length] === 1 && CLIENT_ADDRESS_HEADERS.has(source);
}

export const detectSsrf: Detector<'net.connect'> = (resource, inputs) => {
  if (inputs.length === 0) return undefined;
  const dest = destination(resource);
  if (dest === undefined || !INTERNAL_CLASSES.has(dest.info.class)) return undefined;
  const facts = hostFacts(resource);
  for (const input of inputs) {
    if (facts.needsDigits && input.chars !== undefined && (input.chars & SPELLS_IPV4) === 0) continue;
    if (!choosesHost(facts, resource, input.value, input.chars)) continue;
    // Client-address headers carry the client's (often loopback, behind a proxy) ip, not a destination.
    // Asked second: it rules out a header or two, choosesHost almost every input.
    if (isClientAddressHeader(input.source)) continue;
    return finding(resource, input, dest);
  }
  return undefined;
};

function finding(resource: NetResource, input: TaintInput, dest: Destination): Finding {
  const address = dest.info.address !== '' ? dest.info.address : resource.host;
  const detail: Record<string, string | number | boolean> = {
    address,
    class: dest.info.class,
    host: resource.host,
    via: dest.via,
  };
  if (dest.info.embedded !== undefined) detail.embedded = dest.info.embedded.form;
  if (dest.info.service !== undefined) detail.service = dest.info.service;
  if (resource.port !== undefined) detail.port = resource.port;
  return {
    kind: 'ssrf',
    input,
    reason: `input chooses host '${resource.host}', which connects to ${dest.info.class} address ${address}`,
    detail,
  };
}

/** A connection to a cloud metadata service, reported with or without a request in scope. */
export interface MetadataAccess {
  kind: 'ssrf';
  reason: string;
  detail: { address: string; host: string; class: 'metadata'; service: string };
}

/**
 * Metadata endpoints hand out cloud credentials; almost no application code
 * should reach them, so hooks call this on every outgoing connection, not only
 * inside requests. Judged like `detectSsrf`: the connected address first, the
 * host literal or name before a lookup.
 */
export function detectMetadataAccess(resource: NetResource): MetadataAccess | undefined {
  const dest = destination(resource);
  if (dest === undefined || dest.info.class !== 'metadata') return undefined;
  const address = dest.info.address !== '' ? dest.info.address : resource.host;
  const service = dest.info.service ?? 'cloud metadata';
  return {
    kind: 'ssrf',
    reason: `connection to ${service} at ${address} (host '${resource.host}')`,
    detail: { address, host: resource.host, class: 'metadata', service },
  };
}
