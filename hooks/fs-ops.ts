import { constants } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Which functions of `fs` / `fs/promises` take paths, which argument holds
 * each path, and whether the call reads or writes it. Pure data and pure
 * helpers; hooks/fs.ts turns these into wrappers.
 */

/** 'flags': read or write depends on the open flags of this very call. */
export type Intent = 'read' | 'write' | 'flags';

export interface PathArg {
  /** Index of the path argument. */
  index: number;
  intent: Intent;
  /** Flags the call implies when the caller gives none. */
  flags: string;
  /** Where this call's flags are: an argument (`open(p, flags)`) or an option key of the argument at `index`. */
  flagsArg?: number;
  flagsKey?: 'flag' | 'flags';
  /** symlink: a relative target is resolved against the directory of the link (argument `relativeTo`). */
  relativeTo?: number;
  /**
   * glob: the argument is a pattern or an array of patterns, each judged as
   * a read of the pattern itself, behind the `cwd` option of argument
   * `cwdArg` (`withCwd`).
   */
  patterns?: { cwdArg: number };
}

/** How a blocked call reports the block: its API's own error convention ('iterator': fs.promises.glob's async iterator). */
export type Style = 'sync' | 'callback' | 'promise' | 'stream' | 'exists' | 'existsSync' | 'iterator';

export interface FnSpec {
  /** Property name on the patched object ('readFileSync', 'open', 'native'). */
  name: string;
  /** Name used in events ('readFileSync', 'promises.open', 'realpathSync.native'). */
  label: string;
  module: 'fs' | 'fs/promises';
  style: Style;
  paths: readonly PathArg[];
  /**
   * Node implements it by calling other public fs functions on a later tick
   * (rimraf, cp, the JS realpath): those inner calls belong to this one and
   * are not judged again.
   */
  nestsAsync?: boolean;
}

const read = (index = 0, extra: Partial<PathArg> = {}): PathArg => ({ index, intent: 'read', flags: 'r', ...extra });
const write = (index = 0, flags = 'w'): PathArg => ({ index, intent: 'write', flags });

interface Base {
  paths: readonly PathArg[];
  /** Forms that exist: callback (fs.x), sync (fs.xSync), promise (fs.promises.x). */
  forms: string;
  nestsAsync?: boolean;
}

/**
 * Every path-taking function, by base name. Metadata reads (stat, lstat,
 * access, realpath, readlink, statfs) are judged as reads: an existence
 * oracle is part of a traversal attack, and a policy that forbids reading a
 * tree should forbid probing it.
 */
const BASES: Readonly<Record<string, Base>> = {
  readFile: { paths: [{ index: 0, intent: 'flags', flags: 'r', flagsArg: 1, flagsKey: 'flag' }], forms: 'csp' },
  open: { paths: [{ index: 0, intent: 'flags', flags: 'r', flagsArg: 1 }], forms: 'csp' },
  readdir: { paths: [read()], forms: 'csp' },
  opendir: { paths: [read()], forms: 'csp' },
  readlink: { paths: [read()], forms: 'csp' },
  realpath: { paths: [read()], forms: 'csp' },
  stat: { paths: [read()], forms: 'csp' },
  lstat: { paths: [read()], forms: 'csp' },
  statfs: { paths: [read()], forms: 'csp' },
  access: { paths: [read()], forms: 'csp' },
  writeFile: { paths: [{ index: 0, intent: 'write', flags: 'w', flagsArg: 2, flagsKey: 'flag' }], forms: 'csp' },
  appendFile: { paths: [{ index: 0, intent: 'write', flags: 'a', flagsArg: 2, flagsKey: 'flag' }], forms: 'csp' },
  unlink: { paths: [write()], forms: 'csp' },
  rm: { paths: [write()], forms: 'csp', nestsAsync: true },
  rmdir: { paths: [write()], forms: 'csp', nestsAsync: true },
  mkdir: { paths: [write()], forms: 'csp' },
  mkdtemp: { paths: [write()], forms: 'csp' },
  chmod: { paths: [write()], forms: 'csp' },
  lchmod: { paths: [write()], forms: 'csp' },
  chown: { paths: [write()], forms: 'csp' },
  lchown: { paths: [write()], forms: 'csp' },
  utimes: { paths: [write()], forms: 'csp' },
  lutimes: { paths: [write()], forms: 'csp' },
  truncate: { paths: [write()], forms: 'csp' },
  rename: { paths: [write(0), write(1)], forms: 'csp' },
  copyFile: { paths: [read(0), write(1)], forms: 'csp' },
  cp: { paths: [read(0), write(1)], forms: 'csp', nestsAsync: true },
  link: { paths: [read(0), write(1)], forms: 'csp' },
  symlink: { paths: [read(0, { relativeTo: 1 }), write(1)], forms: 'csp' },
  // Node 24.4+: the directory is removed when the returned object is disposed.
  mkdtempDisposable: { paths: [write()], forms: 'sp' },
  // Node 22+. Node walks the tree with the public lstat/readdir: nested, like cp.
  glob: { paths: [read(0, { patterns: { cwdArg: 1 } })], forms: 'csp', nestsAsync: true },
};

/** Specs for the `fs` module object (callback and sync forms, streams, exists). */
export function fsSpecs(): FnSpec[] {
  const out: FnSpec[] = [];
  for (const [name, b] of Object.entries(BASES)) {
    // The callback realpath walks the path with fs.lstat on later ticks.
    if (b.forms.includes('c')) out.push({ name, label: name, module: 'fs', style: 'callback', paths: b.paths, nestsAsync: b.nestsAsync === true || name === 'realpath' });
    if (b.forms.includes('s')) out.push({ name: `${name}Sync`, label: `${name}Sync`, module: 'fs', style: 'sync', paths: b.paths });
  }
  out.push(
    { name: 'exists', label: 'exists', module: 'fs', style: 'exists', paths: [read()] },
    { name: 'existsSync', label: 'existsSync', module: 'fs', style: 'existsSync', paths: [read()] },
    { name: 'openAsBlob', label: 'openAsBlob', module: 'fs', style: 'promise', paths: [read()] },
    { name: 'createReadStream', label: 'createReadStream', module: 'fs', style: 'stream', paths: [{ index: 0, intent: 'flags', flags: 'r', flagsArg: 1, flagsKey: 'flags' }] },
    { name: 'createWriteStream', label: 'createWriteStream', module: 'fs', style: 'stream', paths: [{ index: 0, intent: 'flags', flags: 'w', flagsArg: 1, flagsKey: 'flags' }] },
  );
  return out;
}

/** Specs for `fs.promises` (the same object as `require('fs/promises')`). */
export function promiseSpecs(): FnSpec[] {
  const out: FnSpec[] = [];
  for (const [name, b] of Object.entries(BASES)) {
    if (b.forms.includes('p')) out.push({ name, label: name, module: 'fs/promises', style: name === 'glob' ? 'iterator' : 'promise', paths: b.paths, nestsAsync: b.nestsAsync });
  }
  return out;
}

/** `fs.realpath.native` / `fs.realpathSync.native`: properties of the functions, not of the module. */
export const nativeRealpath: { callback: FnSpec; sync: FnSpec } = {
  callback: { name: 'native', label: 'realpath.native', module: 'fs', style: 'callback', paths: [read()] },
  sync: { name: 'native', label: 'realpathSync.native', module: 'fs', style: 'sync', paths: [read()] },
};

const WRITE_BITS = constants.O_WRONLY | constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND;

/** Open flags write when they ask for writing, appending, creating or '+' (read-write). */
export function flagsWrite(flags: string | number): boolean {
  if (typeof flags === 'number') return (flags & WRITE_BITS) !== 0;
  for (let i = 0; i < flags.length; i++) {
    const c = flags.charCodeAt(i);
    if (c === 0x77 /* w */ || c === 0x61 /* a */ || c === 0x2b /* + */) return true;
  }
  return false;
}

/** The flags this call uses for path argument `p`, or its implied flags. */
export function flagsOf(p: PathArg, args: ArrayLike<unknown>): string | number {
  if (p.flagsArg === undefined) return p.flags;
  const a = args[p.flagsArg];
  if (p.flagsKey === undefined) return typeof a === 'string' || typeof a === 'number' ? a : p.flags;
  if (a !== null && typeof a === 'object') {
    const f = (a as Record<string, unknown>)[p.flagsKey];
    if (typeof f === 'string' || typeof f === 'number') return f;
  }
  return p.flags;
}

/** Node's own test for a WHATWG URL (legacy url.parse objects have `auth`/`path`). */
export function isUrl(v: unknown): v is URL {
  if (v === null || typeof v !== 'object') return false;
  const u = v as { href?: unknown; protocol?: unknown; auth?: unknown; path?: unknown };
  return typeof u.href === 'string' && u.protocol !== undefined && u.auth === undefined && u.path === undefined;
}

/**
 * The path as text the way the app built it: a string as is, a Buffer or
 * Uint8Array as UTF-8 (how app strings become Buffers), a file: URL as its
 * percent-decoded path (the href is percent-encoded, so an input copied into
 * the URL would not be found in it). Undefined for file descriptors,
 * FileHandles and values Node itself will reject.
 */
export function rawPathOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  if (isUrl(v)) {
    if (v.protocol !== 'file:') return undefined;
    try {
      return fileURLToPath(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const posixPaths = process.platform !== 'win32';

/**
 * Already what path.resolve would return: absolute, no empty, '.' or '..'
 * segment, no trailing '/'. One scan instead of resolve's normalisation,
 * which costs more than the rest of an allowed call's inspection.
 */
function isNormalAbsolute(p: string): boolean {
  if (!posixPaths || p.charCodeAt(0) !== 0x2f) return false;
  const n = p.length;
  if (n === 1) return true;
  if (p.charCodeAt(n - 1) === 0x2f) return false;
  let segStart = 1;
  for (let i = 1; i <= n; i++) {
    if (i === n || p.charCodeAt(i) === 0x2f) {
      const len = i - segStart;
      if (len === 0) return false;
      if (p.charCodeAt(segStart) === 0x2e && (len === 1 || (len === 2 && p.charCodeAt(segStart + 1) === 0x2e))) return false;
      segStart = i + 1;
    }
  }
  return true;
}

/** The patterns of a glob argument: one string or an array of them. */
export function patternsOf(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * A relative glob pattern with its cwd option in front, as text (not
 * normalised): a tainted cwd must stay visible in the raw path, as a tainted
 * directory does in a path the app joins itself.
 */
export function withCwd(pattern: string, p: PathArg, args: ArrayLike<unknown>): string {
  if (p.patterns === undefined || path.isAbsolute(pattern)) return pattern;
  const o = args[p.patterns.cwdArg];
  const cwd = o !== null && typeof o === 'object' ? rawPathOf((o as { cwd?: unknown }).cwd) : undefined;
  return cwd === undefined ? pattern : `${cwd}${path.sep}${pattern}`;
}

/** Absolute, normalised path; a symlink target is relative to the link's directory. */
export function resolvedPath(raw: string, p: PathArg, args: ArrayLike<unknown>): string {
  if (p.relativeTo !== undefined && !path.isAbsolute(raw)) {
    const link = rawPathOf(args[p.relativeTo]);
    if (link !== undefined) return path.resolve(path.dirname(path.resolve(link)), raw);
  }
  return isNormalAbsolute(raw) ? raw : path.resolve(raw);
}
