import { posix } from 'node:path';
import type { Detector, Finding, FsResource, TaintInput } from '../types';
import { CH_SLASH } from '../taint/decode';
import { BigramIndex, spansOf, type Span } from '../taint/overlap';

/**
 * Path traversal: an untrusted input that occurs in the path the app opened
 * (`rawPath`, as the app passed it) and
 *  (a) carries '..' segments that, after normalisation, leave the directory
 *      the app put in front of it — while the same path with the input
 *      replaced by a plain name stays inside;
 *  (b) is itself an absolute, drive or UNC path at the start of the path;
 *  (c) carries traversal the path does not show yet: '\' separators
 *      (`..\..\`), or percent-encoded / overlong-UTF-8 dots and separators
 *      left undecoded (`%2e%2e%2f`, `..%2f`, `%252e`, `%c0%ae`);
 *  (d) contains a NUL byte (raw, or `%00` under (c));
 *  (e) makes the resolved path a sensitive file, when the input itself names
 *      the sensitive part (see `SensitiveMatch.keys`).
 * `path.join`/`path.resolve` collapse '..' before the hook sees the path, so
 * an input whose normalised form still climbs ('../../etc/passwd' → climbs 4,
 * leaves 'etc/passwd') is matched by what remains after the climb.
 */

export type PathRule = 'nul' | 'absolute' | 'dot-dot' | 'mixed-separators' | 'encoded' | 'sensitive';

interface Verdict {
  rule: PathRule;
  reason: string;
}

const REASONS: Readonly<Record<PathRule, string>> = {
  nul: 'input contains a NUL byte',
  absolute: 'input supplies an absolute path',
  'dot-dot': "input's '..' segments leave the directory the app chose",
  'mixed-separators': "input uses '\\' separators with '..' to leave the directory the app chose",
  encoded: 'input carries encoded traversal (percent-encoded or overlong dots, separators or NUL) left undecoded in the path',
  sensitive: 'input names a sensitive file',
};

function isSep(c: string | undefined): boolean {
  return c === '/' || c === '\\';
}

/** '/x', '\x', '\\server\share', 'C:\x', 'C:/x', 'C:' */
function isAbsoluteText(x: string): boolean {
  if (isSep(x[0])) return true;
  const d = x.charCodeAt(0) | 0x20;
  return x.length >= 2 && d >= 0x61 && d <= 0x7a && x[1] === ':' && (x.length === 2 || isSep(x[2]));
}

function hasNameChar(x: string): boolean {
  for (let i = 0; i < x.length; i++) if (!isSep(x[i]) && x[i] !== ':') return true;
  return false;
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function byteAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== 0x25 /* % */) return -1;
  const h = hex(s.charCodeAt(i + 1));
  const l = hex(s.charCodeAt(i + 2));
  return h < 0 || l < 0 ? -1 : (h << 4) | l;
}

/**
 * One lenient percent-decoding pass: ASCII escapes, IIS `%uXXXX`, and the
 * overlong UTF-8 forms of ASCII that old decoders accepted (`%c0%ae` = '.').
 * Other bytes stay encoded; nothing here can throw.
 */
function decodeOnce(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const b = byteAt(s, i);
    if (b < 0) {
      if (s.charCodeAt(i) === 0x25 && (s.charCodeAt(i + 1) | 0x20) === 0x75 /* u */) {
        const a = hex(s.charCodeAt(i + 2)), b2 = hex(s.charCodeAt(i + 3)), c = hex(s.charCodeAt(i + 4)), d = hex(s.charCodeAt(i + 5));
        if (a >= 0 && b2 >= 0 && c >= 0 && d >= 0) {
          out += String.fromCharCode((a << 12) | (b2 << 8) | (c << 4) | d);
          i += 6;
          continue;
        }
      }
      out += s[i];
      i++;
      continue;
    }
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i += 3;
      continue;
    }
    const b1 = byteAt(s, i + 3);
    if ((b === 0xc0 || b === 0xc1) && b1 >= 0x80 && b1 < 0xc0) {
      out += String.fromCharCode(((b & 0x1f) << 6) | (b1 & 0x3f));
      i += 6;
      continue;
    }
    const b2 = byteAt(s, i + 6);
    if (b === 0xe0 && b1 >= 0x80 && b1 < 0xa0 && b2 >= 0x80 && b2 < 0xc0) {
      out += String.fromCharCode(((b1 & 0x3f) << 6) | (b2 & 0x3f));
      i += 9;
      continue;
    }
    out += s.slice(i, i + 3);
    i += 3;
  }
  return out;
}

/** Up to three decoding passes (double and triple encoding). */
function lenientDecode(v: string): string {
  let cur = v;
  for (let pass = 0; pass < 3 && cur.includes('%'); pass++) {
    const next = decodeOnce(cur);
    if (next === cur) break;
    cur = next;
  }
  return cur;
}

function stripTrailingSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/**
 * Does `path` (with '/' separators) end up outside the directory given by
 * its first `baseEnd` characters? A relative base of '' is the working directory.
 */
function escapesBase(path: string, baseEnd: number): boolean {
  const full = stripTrailingSlash(posix.normalize(path));
  let base = baseEnd === 0 ? '' : stripTrailingSlash(posix.normalize(path.slice(0, baseEnd)));
  if (base === '.') base = '';
  if (base === '') {
    if (posix.isAbsolute(path)) return false;
    return full === '..' || full.startsWith('../');
  }
  if (base === '/') return false;
  return !(full === base || full.startsWith(`${base}/`));
}

/** Index just after the last separator before `at`: the directory the app prefixed. */
function baseEndBefore(raw: string, at: number): number {
  for (let i = at - 1; i >= 0; i--) if (raw[i] === '/') return i + 1;
  return 0;
}

function slashes(x: string): string {
  return x.includes('\\') ? x.replace(/\\/g, '/') : x;
}

/** Judge one verbatim occurrence of the input in the raw path. */
function judgeSpan(raw: string, span: Span, v: string): Verdict | undefined {
  if (v.includes('\0')) return { rule: 'nul', reason: REASONS.nul };
  const next = raw[span.end];
  if (span.start === 0 && isAbsoluteText(v) && hasNameChar(v) && (span.end === raw.length || !isSep(next))) {
    return { rule: 'absolute', reason: REASONS.absolute };
  }
  const before = raw.slice(0, span.start);
  const after = raw.slice(span.end);
  const baseEnd = baseEndBefore(raw, span.start);
  const appEscapes = (): boolean => escapesBase(`${before}x${after}`, baseEnd);
  if (v.includes('..')) {
    if (escapesBase(raw, baseEnd) && !appEscapes()) return { rule: 'dot-dot', reason: REASONS['dot-dot'] };
    if (v.includes('\\') && escapesBase(before + slashes(v) + after, baseEnd) && !appEscapes()) {
      return { rule: 'mixed-separators', reason: REASONS['mixed-separators'] };
    }
  }
  if (v.includes('%')) {
    const dec = lenientDecode(v);
    if (dec !== v) {
      if (dec.includes('\0')) return { rule: 'encoded', reason: REASONS.encoded };
      if (span.start === 0 && isAbsoluteText(dec) && hasNameChar(dec)) return { rule: 'encoded', reason: REASONS.encoded };
      if (dec.includes('..') && escapesBase(before + slashes(dec) + after, baseEnd) && !appEscapes()) {
        return { rule: 'encoded', reason: REASONS.encoded };
      }
    }
  }
  return undefined;
}

/** Would posix.normalize (or path.join) rewrite `v`: '.', '..' or empty segments between slashes? */
function normalisationChanges(v: string): boolean {
  // Without a '/' there is one segment, which normalize keeps (most inputs stop at this one search).
  const first = v.indexOf('/');
  if (first === -1) return false;
  let segStart = 0;
  for (let i = first; i <= v.length; i++) {
    if (i < v.length && v.charCodeAt(i) !== 0x2f) continue;
    const len = i - segStart;
    // A leading empty segment is the root, a trailing one a kept trailing slash.
    if (len === 0 && segStart !== 0 && i !== v.length) return true;
    if ((len === 1 || len === 2) && v.charCodeAt(segStart) === 0x2e && (len === 1 || v.charCodeAt(segStart + 1) === 0x2e)) {
      if (i < v.length || segStart > 0) return true;
    }
    segStart = i + 1;
  }
  return false;
}

/** Index of `needle` in `hay` starting at a segment boundary, or -1. */
function indexAtSegment(hay: string, needle: string): number {
  let from = 0;
  for (let n = 0; n < 16; n++) {
    const at = hay.indexOf(needle, from);
    if (at === -1) return -1;
    if (at === 0 || hay[at - 1] === '/' || needle[0] === '/') return at;
    from = at + 1;
  }
  return -1;
}

/**
 * Does a segment of `v` other than '', '.' and '..' occur in `raw`? Normalising
 * `v` keeps only such segments, and the raw path holds every name its own
 * normal form holds: without one, neither normal form can hold the other, and
 * both normalisations are saved (a URL in a body field has '//' to rewrite).
 */
function someSegmentIn(raw: string, v: string): boolean {
  let start = 0;
  for (let i = 0; i <= v.length; i++) {
    if (i < v.length && v.charCodeAt(i) !== 0x2f) continue;
    const len = i - start;
    const dots = len <= 2 && v.charCodeAt(start) === 0x2e && (len === 1 || v.charCodeAt(start + 1) === 0x2e);
    if (len > 0 && !dots && raw.indexOf(v.slice(start, i)) !== -1) return true;
    start = i + 1;
  }
  return false;
}

/**
 * The input does not occur verbatim because the app (path.join/resolve) or
 * the hook normalised the path. Match the input's own normal form instead.
 */
function judgeNormalised(raw: string, v: string, normalisedRaw: () => string): Verdict | 'involved' | undefined {
  if (v.length > 4096 || !normalisationChanges(v) || !someSegmentIn(raw, v)) return undefined;
  const asIs = judgeNormalForm(v, posix.normalize(v), normalisedRaw);
  if (asIs !== undefined && asIs !== 'involved') return asIs;
  // path.join reads a leading '/' of a later argument as a separator, not the root: join(dir, '/../x') is
  // dir/../x. The normal form of '/../x' is '/x' (no climb), so the input is also judged without it.
  if (v.charCodeAt(0) !== 0x2f) return asIs;
  let i = 1;
  while (i < v.length && v.charCodeAt(i) === 0x2f) i++;
  const relative = v.slice(i);
  return judgeNormalForm(v, posix.normalize(relative === '' ? '.' : relative), normalisedRaw) ?? asIs;
}

/** judgeNormalised for one normal form `nv` of the input `v`. */
function judgeNormalForm(v: string, nv: string, normalisedRaw: () => string): Verdict | 'involved' | undefined {
  if (nv === v && !nv.startsWith('../')) return undefined;
  let core = nv;
  let climbs = 0;
  while (core === '..' || core.startsWith('../')) {
    climbs++;
    core = core.length === 2 ? '' : core.slice(3);
  }
  // path.resolve drops a trailing '/' that normalize keeps: 'x/../../conf/secrets.json/' opens conf/secrets.json.
  let coreEnd = core.length;
  while (coreEnd > 1 && core.charCodeAt(coreEnd - 1) === 0x2f) coreEnd--;
  if (coreEnd < core.length) core = core.slice(0, coreEnd);
  if (core === '' || core === '.' || core === '/') return undefined;
  const nraw = normalisedRaw();
  const at = indexAtSegment(nraw, core);
  if (at === -1) return undefined;
  if (v.includes('\0')) return { rule: 'nul', reason: REASONS.nul };
  if (climbs > 0) return { rule: 'dot-dot', reason: REASONS['dot-dot'] };
  const end = at + core.length;
  if (core[0] === '/' && at === 0 && hasNameChar(core) && (end === nraw.length || nraw[end] !== '/')) {
    return { rule: 'absolute', reason: REASONS.absolute };
  }
  return 'involved';
}

/** The input contains the whole raw path (the app cut the path out of it). */
function judgeContained(raw: string, v: string): Verdict | 'involved' | undefined {
  if (raw.length < 2 || v.length < raw.length || !v.includes(raw)) return undefined;
  if (raw.includes('\0')) return { rule: 'nul', reason: REASONS.nul };
  if (isAbsoluteText(raw) && hasNameChar(raw)) return { rule: 'absolute', reason: REASONS.absolute };
  if (raw.includes('..') && escapesBase(raw, 0)) return { rule: 'dot-dot', reason: REASONS['dot-dot'] };
  return 'involved';
}

// Takes the raw path, not the resource: in an app, reading `resource.rawPath` here was a megamorphic load for
// every input of every file call (5.8 k instructions a realistic request, session 20). `detect` answers for the
// inputs this would pass at its first three tests (not in the path, no '/', shorter than it) without the call:
// those tests and its own must say the same.
function judgeInput(
  raw: string,
  v: string,
  chars: number | undefined,
  sensitive: () => SensitiveMatch | undefined,
  normalisedRaw: () => string,
): Verdict | undefined {
  const spans = v.length >= 2 && !BIGRAMS.mayOccur(v) ? NO_SPANS : spansOf(raw, v);
  let involved = false;
  if (spans.length > 0) {
    involved = true;
    for (const span of spans) {
      const verdict = judgeSpan(raw, span, v);
      if (verdict !== undefined) return verdict;
    }
  } else {
    // Normalisation only rewrites what has a '/' (extraction says which inputs have none).
    const normalised = chars !== undefined && (chars & CH_SLASH) === 0 ? undefined : judgeNormalised(raw, v, normalisedRaw);
    if (normalised !== undefined && normalised !== 'involved') return normalised;
    const contained = judgeContained(raw, v);
    if (contained !== undefined && contained !== 'involved') return contained;
    if (normalised === undefined && contained === undefined) return undefined;
    involved = true;
  }
  if (involved) {
    const m = sensitive();
    if (m !== undefined && (inputHasKey(v, m.keys) || (v.includes('%') && inputHasKey(lenientDecode(v), m.keys)))) {
      return { rule: 'sensitive', reason: `${REASONS.sensitive}: ${m.reason}` };
    }
  }
  return undefined;
}

/** The raw path's bigrams: most inputs are rejected without a substring search each. */
const BIGRAMS = new BigramIndex();
const NO_SPANS: readonly Span[] = Object.freeze([]);

function detect(resource: FsResource, inputs: readonly TaintInput[]): Finding | undefined {
  const raw = resource.rawPath;
  if (inputs.length === 0 || raw.length === 0) return undefined;
  BIGRAMS.index(raw);
  let cached: SensitiveMatch | null | undefined;
  const sensitive = (): SensitiveMatch | undefined => {
    if (cached === undefined) cached = sensitivePathMatch(resource.path) ?? null;
    return cached ?? undefined;
  };
  let nraw: string | undefined;
  const normalisedRaw = (): string => (nraw ??= posix.normalize(raw));
  for (const input of inputs) {
    const v = input.value;
    const chars = input.chars;
    // What judgeInput answers for most inputs, without the call: one shorter than the path that does not occur in
    // it and has no '/' to normalise neither climbs out nor contains the path.
    if (v.length < 2 ? v.length === 0 : v.length < raw.length && chars !== undefined && (chars & CH_SLASH) === 0 && !BIGRAMS.mayOccur(v)) continue;
    const verdict = judgeInput(raw, v, chars, sensitive, normalisedRaw);
    if (verdict === undefined) continue;
    const detail: Record<string, string | number | boolean> = { rule: verdict.rule, path: resource.path };
    if (verdict.rule !== 'sensitive') {
      const m = sensitive();
      if (m !== undefined) detail.sensitive = m.reason;
    }
    return { kind: 'path_traversal', input, reason: verdict.reason, detail };
  }
  return undefined;
}

/** For `fs.read` operations. `resource.rawPath` as the app passed it, `resource.path` resolved. */
export const detectPathTraversal: Detector<'fs.read'> = detect;
/** The same check for `fs.write` (both ends of rename/copyFile/link/symlink are judged separately). */
export const detectPathTraversalWrite: Detector<'fs.write'> = detect;

/*
 * Climbs carried through node:path. An input made only of '..' segments
 * leaves no trace in a path that path.join or path.resolve collapsed:
 * path.join(uploads, '..', 'avatar.png') is just /srv/app/data/avatar.png.
 * So the path hook (hooks/path.ts) judges such calls where the input is still
 * an argument, and the request keeps what it found (at most MAX_CLIMBS) for
 * the fs check: a path at or under where the climb landed, outside the
 * directory the app chose, is the input's doing.
 */

/** A climb out of an app-chosen directory through node:path, kept on the request for the fs check. */
export interface PathClimb {
  readonly input: TaintInput;
  /** The directory the app chose (absolute). */
  readonly base: string;
  /** Where the call landed (absolute), outside `base`. */
  readonly to: string;
  /** 'path.join', 'path.resolve' or 'path.normalize'. */
  readonly via: string;
}

export const MAX_CLIMBS = 16;

function within(p: string, dir: string): boolean {
  return p === dir || (p.startsWith(dir) && (dir.endsWith('/') || p.charCodeAt(dir.length) === 0x2f));
}

/**
 * Did an input's '..' take the result of `build(...args)` (path.join, resolve
 * or normalize: `fn`) out of the directory the arguments before it chose? The
 * same call with the input replaced by a plain name must stay inside (the app
 * climbing on its own is not the input's doing), and an input that starts the
 * path chose no directory to leave.
 */
export function pathClimb(fn: string, build: (...parts: string[]) => string, args: readonly unknown[], out: string, inputs: readonly TaintInput[]): PathClimb | undefined {
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    if (typeof a !== 'string' || a.indexOf('..') === -1) continue;
    for (const input of inputs) {
      const v = input.value;
      if (v.length < 2 || v.indexOf('..') === -1) continue;
      const at = a.indexOf(v);
      if (at === -1) continue;
      const head = a.slice(0, baseEndBefore(a, at));
      if (k === 0 && head === '') continue;
      const parts = args.slice(0, k) as string[];
      if (head !== '') parts.push(head);
      const base = posix.resolve(build(...parts));
      const to = posix.resolve(out);
      if (within(to, base)) continue;
      const plain = args.slice() as string[];
      plain[k] = `${a.slice(0, at)}x${a.slice(at + v.length)}`;
      if (!within(posix.resolve(build(...plain)), base)) continue;
      return { input, base, to, via: `path.${fn}` };
    }
  }
  return undefined;
}

/** The fs check's use of the climbs a request's node:path calls made: `resource.path` where one landed, outside its base. */
export function climbFinding(resource: FsResource, climbs: readonly PathClimb[]): Finding | undefined {
  const p = resource.path;
  for (const c of climbs) {
    if (!within(p, c.to) || within(p, c.base)) continue;
    const detail: Record<string, string | number | boolean> = { rule: 'dot-dot', path: p, base: c.base, via: c.via };
    const m = sensitivePathMatch(p);
    if (m !== undefined) detail.sensitive = m.reason;
    return { kind: 'path_traversal', input: c.input, reason: `${REASONS['dot-dot']} (through ${c.via})`, detail };
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Sensitive files
// ---------------------------------------------------------------------------

export interface SensitiveMatch {
  reason: string;
  keys: readonly string[];
}

const ETC_FILES: ReadonlyMap<string, string> = new Map([
  ['passwd', 'account database'],
  ['shadow', 'password hashes'],
  ['gshadow', 'group password hashes'],
  ['master.passwd', 'password hashes (BSD)'],
  ['sudoers', 'sudo rules'],
]);

const EXAMPLE_ENV_SUFFIXES: ReadonlySet<string> = new Set(['example', 'sample', 'template', 'dist', 'defaults']);

const SSH_PRIVATE_KEYS: ReadonlySet<string> = new Set([
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  'id_ecdsa_sk',
  'id_ed25519_sk',
]);

const CREDENTIAL_FILES: ReadonlyMap<string, string> = new Map([
  ['.npmrc', 'npm credentials'],
  ['.yarnrc.yml', 'yarn credentials'],
  ['.pypirc', 'PyPI credentials'],
  ['.netrc', 'netrc credentials'],
  ['_netrc', 'netrc credentials'],
  ['.pgpass', 'PostgreSQL passwords'],
  ['.my.cnf', 'MySQL credentials'],
  ['.git-credentials', 'git credentials'],
  ['.htpasswd', 'HTTP password hashes'],
  ['.dockercfg', 'Docker registry credentials'],
  ['.bash_history', 'shell history'],
  ['.zsh_history', 'shell history'],
  ['authorized_keys', 'SSH authorized keys'],
]);

const SECRET_DIRS: ReadonlyMap<string, string> = new Map([
  ['.ssh', 'SSH keys and configuration'],
  ['.aws', 'AWS credentials'],
  ['.azure', 'Azure credentials'],
  ['.gnupg', 'GnuPG keys'],
  ['.docker', 'Docker credentials'],
  ['.kube', 'Kubernetes credentials'],
  ['.git', 'git repository internals'],
]);

/** Lower-cased segments with '\' read as a separator and a Windows drive dropped. */
function segmentsOf(absPath: string): string[] {
  const lower = absPath.toLowerCase();
  const parts = (lower.includes('\\') ? lower.replace(/\\/g, '/') : lower).split('/');
  const segs: string[] = [];
  for (const p of parts) if (p !== '') segs.push(p);
  if (segs.length > 0 && segs[0].length === 2 && segs[0][1] === ':') segs.shift();
  return segs;
}

function absoluteRule(segs: string[]): SensitiveMatch | undefined {
  const [a, b, c, d] = segs;
  if (a === 'etc' && b !== undefined) {
    const etc = ETC_FILES.get(b);
    if (etc !== undefined && segs.length === 2) return { reason: `/etc/${b} (${etc})`, keys: ['etc', b] };
    if (b === 'security' && c === 'opasswd') return { reason: '/etc/security/opasswd (old password hashes)', keys: ['etc', 'security', c] };
    if (b === 'sudoers.d' && c !== undefined) return { reason: '/etc/sudoers.d (sudo rules)', keys: ['etc', b] };
    if (b === 'ssh' && c !== undefined && c.startsWith('ssh_host_') && c.endsWith('_key')) {
      return { reason: 'SSH host private key', keys: ['etc', 'ssh', c] };
    }
    if (b === 'ssl' && c === 'private') return { reason: '/etc/ssl/private (TLS private keys)', keys: ['etc', 'ssl', 'private'] };
  }
  if (a === 'proc' && b !== undefined && (c !== undefined || b === 'self' || b === 'thread-self' || b === 'kcore')) {
    return { reason: '/proc (process memory, environment and file descriptors)', keys: ['proc', 'self', 'thread-self', ...segs.slice(2)] };
  }
  if (a === 'root' && b !== undefined) return { reason: "root's home directory", keys: ['root'] };
  if ((a === 'run' && b === 'secrets') || (a === 'var' && b === 'run' && c === 'secrets')) {
    return { reason: 'mounted container secrets', keys: ['secrets'] };
  }
  if (a === 'windows' && b === 'win.ini' && segs.length === 2) return { reason: 'Windows win.ini', keys: ['windows', 'win.ini'] };
  if (a === 'windows' && b === 'system32' && c === 'config' && (d === 'sam' || d === 'system' || d === 'security')) {
    return { reason: 'Windows registry hive', keys: ['windows', 'system32', 'config', d] };
  }
  return undefined;
}

function basenameRule(base: string): SensitiveMatch | undefined {
  if (base === '.env' || (base.startsWith('.env.') && !EXAMPLE_ENV_SUFFIXES.has(base.slice(5)))) {
    return { reason: `${base} (environment secrets)`, keys: [base] };
  }
  if (SSH_PRIVATE_KEYS.has(base)) return { reason: `${base} (SSH private key)`, keys: [base] };
  const cred = CREDENTIAL_FILES.get(base);
  if (cred !== undefined) return { reason: `${base} (${cred})`, keys: [base] };
  return undefined;
}

/** The sensitive-file rule an absolute path falls under, with the segments that select it. */
export function sensitivePathMatch(absPath: string): SensitiveMatch | undefined {
  const segs = segmentsOf(absPath);
  if (segs.length === 0) return undefined;
  const abs = absoluteRule(segs);
  if (abs !== undefined) return abs;
  const base = basenameRule(segs[segs.length - 1]);
  if (base !== undefined) return base;
  for (const seg of segs) {
    const dir = SECRET_DIRS.get(seg);
    if (dir !== undefined) return { reason: `${seg}/ (${dir})`, keys: [seg] };
  }
  return undefined;
}

/** Why `absPath` names a sensitive file, or undefined. Pure; case-insensitive. */
export function isSensitivePath(absPath: string): string | undefined {
  return sensitivePathMatch(absPath)?.reason;
}

/** Does the input text contain one of the match's key segments? */
export function inputHasKey(value: string, keys: readonly string[]): boolean {
  const segs = segmentsOf(value);
  for (const s of segs) if (keys.includes(s)) return true;
  return false;
}
