import { notePathCall } from '../lib/agent';
import { wrap, type HookDefinition } from '../lib/hooking';

/**
 * node:path → taint through path building. Not a sink: nothing is decided
 * here. An input made only of '..' segments leaves no trace in the path that
 * path.join, path.resolve or path.normalize return (path.join(uploads, '..',
 * 'avatar.png') is /srv/app/data/avatar.png), so the fs check alone cannot
 * see it; here the input is still an argument. A call whose arguments hold
 * no '..' (nearly all: module resolution, static files, the app's own paths)
 * costs one scan of them and no AsyncLocalStorage read.
 * lib/detectors/path.ts (pathClimb, climbFinding) has the rest.
 */

const FUNCTIONS = ['join', 'resolve', 'normalize'] as const;

/** Set while a call with '..' runs and is judged: join normalizes through these same functions, and so does the check. */
let busy = false;

function hasDotDot(args: IArguments): boolean {
  for (let i = 0; i < args.length; i++) {
    const a: unknown = args[i];
    if (typeof a === 'string' && a.indexOf('..') !== -1) return true;
  }
  return false;
}

type PathFn = (...parts: string[]) => string;

export const pathHook: HookDefinition = {
  module: 'path',
  builtin: true,
  patch(exports) {
    // path.posix is this same object on POSIX systems, and `path/posix` exports it too.
    for (const fn of FUNCTIONS) {
      wrap(exports as object, fn, (orig) => function (this: unknown) {
        if (busy || !hasDotDot(arguments)) return orig.apply(this, arguments as unknown as unknown[]);
        // Set before the call too: path.join normalizes through `path.normalize`, which would judge the joined text again.
        busy = true;
        try {
          const out = orig.apply(this, arguments as unknown as unknown[]);
          notePathCall(fn, orig as PathFn, Array.prototype.slice.call(arguments) as unknown[], out as string);
          return out;
        } finally {
          busy = false;
        }
      });
    }
    return exports;
  },
};
