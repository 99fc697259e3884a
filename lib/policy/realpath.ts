import * as fs from 'node:fs';
import * as path from 'node:path';

// Captured at load, before hooks patch fs, so policy checks never re-enter the fs hook.
const realpathNative = fs.realpathSync.native;
const lstat = fs.lstatSync;

/**
 * Real path of `p` (absolute), following symlinks for the longest prefix that
 * exists: a file about to be created under a symlinked directory still resolves
 * to where it would really land.
 */
export function realpathPrefix(p: string): string {
  try {
    return realpathNative(p);
  } catch {
    /* fall through to the parent */
  }
  // Missing path (a file about to be created): climb with a non-throwing existence check,
  // since a thrown fs error costs more than the syscall.
  let dir = p;
  let rest = '';
  for (let i = 0; i < 256; i++) {
    const parent = path.dirname(dir);
    const base = path.basename(dir);
    rest = rest === '' ? base : `${base}${path.sep}${rest}`;
    if (parent === dir) return p;
    dir = parent;
    if (lstat(dir, { throwIfNoEntry: false }) === undefined) continue;
    try {
      const real = realpathNative(dir);
      return real.endsWith(path.sep) ? real + rest : `${real}${path.sep}${rest}`;
    } catch {
      /* a dangling symlink or no permission: keep climbing */
    }
  }
  return p;
}
