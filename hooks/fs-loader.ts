import Module from 'node:module';
import { isTransparentPackage } from '../lib/agent';
import { unwrap, wrap } from '../lib/hooking';
import { callSites, packageOfFile } from '../lib/stack';

/**
 * Node's module loaders read files through the public fs functions the fs
 * hook patches: the CommonJS loader calls fs.readFileSync in its extension
 * handlers and fs.realpathSync (with an internal cache option) while
 * resolving; the ESM loader calls fs.realpathSync the same way, then
 * fs.promises.readFile / fs.readFileSync with a file: URL. None of that may
 * be judged or slowed.
 *
 * `guard.depth` > 0 means "the fs calls happening now are not the app's":
 * it is raised while Node resolves and loads a CommonJS module, and while an
 * already judged fs call runs (Node implements appendFile with writeFile,
 * readFileSync with openSync...). A module's own code runs with the depth
 * reset to 0 (Module.prototype._compile), so what a module does at load time
 * is judged like any other code. The ESM loader runs asynchronously, and
 * the source-map cache (--enable-source-maps) reads '.map' files from inside
 * _compile: both are recognised per call instead (see `isLoaderCall`).
 *
 * In-thread module customization hooks (`module.registerHooks`, Node
 * 22.15+/23.5+) are loader code too, but run in the importer's async
 * context and read files with ordinary paths (a TypeScript or coverage
 * hook reading the module it is asked for). They run with the depth raised:
 * hooks registered after Palisade are wrapped as they are registered, and
 * Palisade registers a pass-through `load` hook of its own (Node 24+), which
 * is outermost for every hook registered before it and so brackets their loads.
 * Not a `resolve` one: with a resolve hook registered, Node resolves every
 * require through the hook chain, which cost 3× the load hook's start-up
 * time (Node 24: +18 ms against +6 ms over 529 modules), while the reads
 * that need bracketing are loads. Off-thread hooks (`module.register`)
 * never touch this thread's fs.
 */
export const guard = { depth: 0 };

type AnyFn = (...args: unknown[]) => unknown;
type ModuleInternals = {
  _resolveFilename?: AnyFn;
  prototype: { load?: AnyFn; _compile?: AnyFn };
};

function raised(orig: AnyFn): AnyFn {
  return function (this: unknown) {
    guard.depth++;
    try {
      return orig.apply(this, arguments as unknown as unknown[]);
    } finally {
      guard.depth--;
    }
  };
}

type Next = (specifierOrUrl: unknown, context: unknown) => unknown;
type CustomizationHook = (specifierOrUrl: unknown, context: unknown, next: Next) => unknown;
interface CustomizationHooks {
  resolve?: CustomizationHook;
  load?: CustomizationHook;
}
type RegisterHooks = (hooks: CustomizationHooks) => { deregister(): void };

/** Customization hooks are synchronous by contract, so try/finally brackets all their work. */
function raisedHook(hook: CustomizationHook): CustomizationHook {
  return function (this: unknown, specifierOrUrl, context, next) {
    guard.depth++;
    try {
      return hook.call(this, specifierOrUrl, context, next);
    } finally {
      guard.depth--;
    }
  };
}

const passThrough: CustomizationHooks = {
  load: raisedHook((url, context, next) => next(url, context)),
};
let ownHooks: { deregister(): void } | undefined;

/**
 * On Node 22 (seen on 22.23) the pass-through hook, registered before Palisade's own ESM support registers
 * its off-thread loader (`module.register`), made the first module load throw "loadSync is not a function"
 * inside Node's loader: every app failed to start. Node 24 runs the same pair. So on Node 22 only hooks
 * registered after Palisade are bracketed.
 */
const OWN_HOOK_MIN_MAJOR = 24;

function patchCustomizationHooks(M: { registerHooks?: RegisterHooks }): void {
  if (typeof M.registerHooks !== 'function') return;
  if (Number(process.versions.node.split('.')[0]) >= OWN_HOOK_MIN_MAJOR) ownHooks ??= M.registerHooks(passThrough);
  wrap(M as Record<string, unknown>, 'registerHooks', (orig) => function (this: unknown, hooks: unknown) {
    if (hooks === null || typeof hooks !== 'object') return orig.call(this, hooks);
    const h = hooks as CustomizationHooks;
    const raisedHooks: CustomizationHooks = { ...h };
    if (typeof h.resolve === 'function') raisedHooks.resolve = raisedHook(h.resolve);
    if (typeof h.load === 'function') raisedHooks.load = raisedHook(h.load);
    return orig.call(this, raisedHooks);
  });
}

export function patchModuleLoader(): void {
  const M = Module as unknown as ModuleInternals;
  patchCustomizationHooks(M as { registerHooks?: RegisterHooks });
  wrap(M, '_resolveFilename', raised);
  wrap(M.prototype, 'load', raised);
  wrap(M.prototype, '_compile', (orig) => function (this: unknown) {
    const saved = guard.depth;
    guard.depth = 0;
    try {
      return orig.apply(this, arguments as unknown as unknown[]);
    } finally {
      guard.depth = saved;
    }
  });
}

export function unpatchModuleLoader(): void {
  const M = Module as unknown as ModuleInternals;
  unwrap(M, 'registerHooks');
  ownHooks?.deregister();
  ownHooks = undefined;
  unwrap(M, '_resolveFilename');
  unwrap(M.prototype, 'load');
  unwrap(M.prototype, '_compile');
}

/**
 * realpathSync called by a Node loader: both pass an options object keyed by
 * Node's internal `realpathCacheKey` symbol. Request data cannot create a
 * symbol, so this cannot be used to slip an attacker's path past the hook.
 */
export function isLoaderRealpath(options: unknown): boolean {
  if (options === null || typeof options !== 'object') return false;
  const syms = Object.getOwnPropertySymbols(options);
  for (let i = 0; i < syms.length; i++) if (syms[i]!.description === 'realpathCacheKey') return true;
  return false;
}

/** Frames looked at past `fn`: the caller, and another agent's wrappers of the same function (started after Palisade). */
const LOADER_LOOK = 4;

/**
 * Is the direct caller of `fn` one of Node's module loaders or its
 * source-map cache? Only asked, inside a judged scope, for the shapes those
 * use (a file: URL; a path ending in '.map'), so ordinary fs calls never pay
 * for a stack capture. A frame in `node:internal/` cannot be faked by data.
 * Frames of transparent packages are looked past: an APM agent or
 * OpenTelemetry's fs instrumentation that wrapped the function after
 * Palisade sits between the loader and Palisade's wrapper. Any other
 * package's frame is a package calling fs itself.
 */
export function isLoaderCall(fn: AnyFn): boolean {
  for (const site of callSites(LOADER_LOOK, fn)) {
    const file = site.getFileName() ?? '';
    if (file.startsWith('node:internal/modules/') || file.startsWith('node:internal/source_map/')) return true;
    const pkg = packageOfFile(file);
    if (pkg === undefined || !isTransparentPackage(pkg)) return false;
  }
  return false;
}
