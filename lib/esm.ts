import * as fs from 'node:fs';
import * as path from 'node:path';
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * ESM apps import npm packages without going through `require`, so
 * require-in-the-middle never sees them. import-in-the-middle's loader hook
 * covers that, restricted to the packages Palisade hooks. The loader runs on
 * a separate thread and costs start-up time, so it is registered only when
 * the app is likely ESM (`--import`, a .mjs entry, or "type": "module"), or
 * when PALISADE_ESM=1 asks for it. Node core modules need none of this: they
 * are patched in place and `syncBuiltinESMExports()` updates their ESM names.
 */
// Captured before the fs hook patches fs in place: Palisade's own reads are never judged.
const existsSync = fs.existsSync;
const readFileSync = fs.readFileSync;

function esmLikely(): boolean {
  const flag = process.env.PALISADE_ESM;
  if (flag === '1' || flag === 'true') return true;
  if (flag === '0' || flag === 'false') return false;
  if (process.execArgv.some((a) => a.startsWith('--import') || a.startsWith('--experimental-loader') || a.startsWith('--loader'))) return true;
  const main = process.argv[1];
  if (main === undefined) return false;
  if (main.endsWith('.mjs') || main.endsWith('.mts')) return true;
  let dir = path.dirname(path.resolve(main));
  for (let i = 0; i < 20; i++) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: unknown }).type === 'module';
      } catch {
        return false;
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return false;
}

type Apply = (exports: unknown, name: string, basedir: string | undefined) => unknown;

export function installEsmHooks(modules: string[], apply: Apply): boolean {
  const register = (nodeModule as { register?: (s: string, parent: string | URL, o?: unknown) => void }).register;
  if (typeof register !== 'function' || modules.length === 0 || !esmLikely()) return false;
  register('import-in-the-middle/hook.mjs', pathToFileURL(__filename), { data: { include: modules } });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Hook } = require('import-in-the-middle') as typeof import('import-in-the-middle');
  new Hook(modules, (ns, name, baseDir) => {
    const target = (ns.default ?? ns) as unknown;
    const out = apply(target, name, baseDir === undefined ? undefined : String(baseDir));
    // A hook that replaces the export (fastify's factory) rebinds `default`.
    if (out !== target && 'default' in ns) ns.default = out;
  });
  return true;
}
