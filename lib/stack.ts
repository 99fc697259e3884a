import * as path from 'node:path';
import * as fs from 'node:fs';

/**
 * Call-site capture for events (first application frame) and for package
 * attribution (which npm package made this call). Stack capture is the most
 * expensive thing Palisade does, so it happens only when an event is emitted
 * or a policy rule depends on the package, and file → package is cached.
 */

export interface Frame {
  file: string;
  line: number;
  column: number;
  function?: string;
}

const MAX_FRAMES = 32;
// Compiled: <root>/dist/lib/stack.js; from source (tests): <root>/lib/stack.ts.
const ownRoot = path.basename(path.dirname(__dirname)) === 'dist' ? path.resolve(__dirname, '..', '..') : path.resolve(__dirname, '..');
const ownRootSep = ownRoot + path.sep;

// Palisade's own files are told by their path below its root, not by whether the path holds a
// node_modules directory: installed, the root itself is <app>/node_modules/palisade (its own
// dependencies, below <root>/node_modules, are not under dist/ or lib/ and stay packages).
function isInternal(file: string): boolean {
  return file.startsWith('node:') || file.startsWith('internal/') || !path.isAbsolute(file) || (file.startsWith(ownRootSep) && isOwnFile(file));
}

// Palisade's own compiled files (dist/lib, dist/hooks) and shimmer/RITM wrappers are never the caller.
function isOwnFile(file: string): boolean {
  const rel = file.slice(ownRootSep.length);
  return rel.startsWith(`dist${path.sep}lib${path.sep}`) || rel.startsWith(`dist${path.sep}hooks${path.sep}`) ||
    rel.startsWith(`lib${path.sep}`) || rel.startsWith(`hooks${path.sep}`);
}

const structured = (_e: Error, s: NodeJS.CallSite[]): NodeJS.CallSite[] => s;

/**
 * Raw call sites, newest first, starting below `anchor` (a function on the
 * stack), at most `limit`. `check` in hooking.ts repeats these lines inline
 * rather than call this: each frame above the anchor costs V8 a frame summary.
 */
export function callSites(limit: number, anchor: AnyFunction): NodeJS.CallSite[] {
  const prevLimit = Error.stackTraceLimit;
  const prevPrepare = Error.prepareStackTrace;
  try {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = structured;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, anchor);
    return Array.isArray(holder.stack) ? (holder.stack as NodeJS.CallSite[]) : [];
  } finally {
    Error.stackTraceLimit = prevLimit;
    Error.prepareStackTrace = prevPrepare;
  }
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

function fileOf(s: NodeJS.CallSite): string {
  const file = s.getFileName() ?? '';
  if (!file.startsWith('file://')) return file;
  try {
    return new URL(file).pathname;
  } catch {
    return file;
  }
}

/** Structured frames of the current stack, outermost Palisade/Node frames removed. */
export function captureFrames(limit = MAX_FRAMES): Frame[] {
  const sites = callSites(limit, captureFrames);
  const frames: Frame[] = [];
  for (const s of sites) {
    const file = fileOf(s);
    if (file === '' || isInternal(file)) continue;
    const fn = s.getFunctionName() ?? undefined;
    frames.push({ file, line: s.getLineNumber() ?? 0, column: s.getColumnNumber() ?? 0, ...(fn ? { function: fn } : {}) });
  }
  return frames;
}

/** The first frame that belongs to the application (not node_modules), else the first frame at all. */
export function firstAppFrame(frames: readonly Frame[]): Frame | undefined {
  for (const f of frames) if (!f.file.includes(`${path.sep}node_modules${path.sep}`) && packageOfFile(f.file) === undefined) return f;
  return frames[0];
}

const packageCache = new Map<string, string | undefined>();
const MAX_CACHE = 10_000;

/**
 * The npm package a file belongs to, or undefined for application code.
 * A file is in a package when it sits under node_modules/<name>/ (or
 * node_modules/@scope/<name>/), or under a directory registered with
 * `registerPackageRoot` (local packages of a monorepo that are not installed
 * under node_modules).
 */
export function packageOfFile(file: string): string | undefined {
  if (packageCache.has(file)) return packageCache.get(file);
  let result: string | undefined;
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = file.lastIndexOf(marker);
  if (at !== -1) {
    const rest = file.slice(at + marker.length).split(path.sep);
    result = rest[0]?.startsWith('@') && rest.length > 1 ? `${rest[0]}/${rest[1]}` : rest[0];
  } else {
    for (const [root, name] of packageRoots) {
      if (file.startsWith(root)) {
        result = name;
        break;
      }
    }
  }
  if (packageCache.size >= MAX_CACHE) packageCache.clear();
  packageCache.set(file, result);
  return result;
}

const packageRoots = new Map<string, string>();

/** Treat every file under `dir` as belonging to the package named in dir/package.json. */
export function registerPackageRoot(dir: string): void {
  const abs = path.resolve(dir);
  const pkg = JSON.parse(fs.readFileSync(path.join(abs, 'package.json'), 'utf8')) as { name?: unknown };
  if (typeof pkg.name !== 'string') throw new Error(`${abs}/package.json has no "name"`);
  packageRoots.set(abs + path.sep, pkg.name);
  packageCache.clear();
  siteOwners.clear();
}

/** Packages whose frames attribution skips (`transparent`); a `Set` of names is one. */
export interface PackageNames {
  has(name: string): boolean;
}

/**
 * Packages that only carry out what their caller asked (ws: a WebSocket to the URL it is given): calls through
 * them are attributed to the caller. With a client or framework come the packages that make its calls: axios
 * requests through follow-redirects, and express serves `express.static`, `res.sendFile` and `res.download`
 * through serve-static and send (koa's and fastify's static serving the same way, through their own).
 */
const TRANSPARENT: ReadonlySet<string> = new Set([
  'axios', 'follow-redirects', 'got', 'node-fetch', 'undici', 'ws',
  'knex', 'sequelize', 'typeorm', 'pg', 'pg-pool', 'mysql', 'mysql2', 'better-sqlite3', 'sqlite3',
  'express', 'fastify', 'koa', 'find-my-way', 'router', 'body-parser', 'send', 'serve-static',
  'koa-send', 'koa-static', '@fastify/static', '@fastify/send',
  'execa', 'cross-spawn',
]);

/**
 * OpenTelemetry's instrumentations wrap the functions Palisade guards (its
 * HTTP instrumentation `http.request`, its pg instrumentation `query`) on
 * behalf of the app's own calls, and run the original inside the API's
 * `context.with` (a context manager's frames). Started after Palisade, those
 * frames sit between the app and Palisade's wrapper.
 */
function isOpenTelemetryWrapper(name: string): boolean {
  if (!name.startsWith('@opentelemetry/')) return false;
  const rest = name.slice('@opentelemetry/'.length);
  return rest === 'api' || rest === 'instrumentation' || rest.startsWith('instrumentation-') || rest.startsWith('context-');
}

/** Transparent with no policy to say otherwise (a policy amends it: `packages.<name>.transparent`). */
export function isBuiltinTransparent(name: string): boolean {
  return TRANSPARENT.has(name) || isOpenTelemetryWrapper(name);
}

/**
 * Capture cost grows with the frame count: V8 summarises every optimised
 * frame it visits (~9 k instructions each in the realistic bench route),
 * those below the caller as much as those above. So the first look reaches
 * as deep as callers were recently found for this key (the operation), and
 * further only when those frames do not decide. A deeper caller widens the
 * look at once; it narrows again after CALM calls that all needed less, so
 * a rare deep caller (a package's start-up read, a driver's connect) does
 * not cost every later call its extra frames.
 */
const LOOKS = [4, 14, MAX_FRAMES];
const CALM = 16;
interface Learned {
  depth: number;
  /** The deepest need since depth last changed, and how many calls that was. */
  lower: number;
  calm: number;
}
const learnedLook = new Map<string, Learned>();

function learn(key: string, need: number): void {
  const l = learnedLook.get(key);
  if (l === undefined) {
    // Keys are fixed strings: the six operation names and one per wrapper that captures for itself (43 today:
    // fs's, and each SQL and HTTP client entry point's). The bound only guards against a key built from data.
    if (learnedLook.size < 128) learnedLook.set(key, { depth: need, lower: 0, calm: 0 });
  } else if (need > l.depth) {
    l.depth = need;
    l.lower = 0;
    l.calm = 0;
  } else {
    if (need > l.lower) l.lower = need;
    if (++l.calm >= CALM) {
      l.depth = l.lower;
      l.lower = 0;
      l.calm = 0;
    }
  }
}

const OWN = Symbol('palisade');
const NODE = Symbol('node');
const QUEUE = Symbol('task queue');
const ADAPTER = Symbol('adapter');
const ANONYMOUS = Symbol('anonymous');
const APP = Symbol('app');
type SiteOwner = string | typeof OWN | typeof NODE | typeof QUEUE | typeof ADAPTER | typeof ANONYMOUS | typeof APP;

/**
 * The caller of a call that no frame of the app's or of any package's owns, and that Node's task queues
 * (a timer, an immediate, `process.nextTick`, a promise reaction, a microtask) or code evaluated at run time
 * (eval, `new Function`, a vm script named by no path) made: a sink function handed straight to a scheduler
 * (`setImmediate(fs.readFile, p, cb)`, `promise.then(fs.readFileSync)`) runs so, whoever scheduled it. It is
 * judged as a package that no scope names: only `*` package scopes apply to it. Not a valid npm name, so it
 * cannot be mistaken for one.
 */
export const UNKNOWN_CALLER = '(unknown)';

/** The modules whose frames alone run a callback taken from a task queue. */
const QUEUE_MODULES: ReadonlySet<string> = new Set(['node:internal/timers', 'node:internal/process/task_queues']);
/**
 * Node's modules that only pass a call on (`util.promisify`, `AsyncResource.bind`, an emitter's `emit`): whoever
 * called them decides, so `promise.then(util.promisify(fs.readFile))` is as handed off as the sink itself.
 */
const ADAPTER_MODULES: ReadonlySet<string> = new Set(['node:internal/util', 'node:async_hooks', 'node:events']);

/**
 * Whom each script name that call sites report belongs to: Palisade (OWN), Node (NODE, QUEUE for its task
 * queues, ADAPTER for what only passes a call on, as V8's builtins do), code evaluated at run time (ANONYMOUS),
 * the application (APP) or a package. All but the last two are passed over. An app calls its sinks from a few
 * files, and V8 hands out the same name string for a script each time, so one map lookup replaces the prefix
 * tests and the package lookup per site.
 */
const siteOwners = new Map<string, SiteOwner>();

function ownerOfSite(site: NodeJS.CallSite): SiteOwner {
  const name = site.getFileName() ?? '';
  // No script: eval or `new Function` code, or a builtin (`Array.prototype.map`, the Promise constructor).
  if (name === '') return site.isEval() ? ANONYMOUS : ADAPTER;
  let owner = siteOwners.get(name);
  if (owner === undefined) {
    const file = fileOf(site);
    if (file === '[eval]' || file === '[stdin]') owner = APP; // `node -e` and a script piped to node: the main script
    else if (file.startsWith(ownRootSep) && isOwnFile(file)) owner = OWN;
    else if (QUEUE_MODULES.has(file)) owner = QUEUE;
    else if (ADAPTER_MODULES.has(file)) owner = ADAPTER;
    else if (file.startsWith('node:') || file.startsWith('internal/')) owner = NODE;
    else if (!path.isAbsolute(file)) owner = ANONYMOUS;
    else owner = packageOfFile(file) ?? APP;
    if (siteOwners.size >= MAX_CACHE) siteOwners.clear();
    siteOwners.set(name, owner);
  }
  return owner;
}

/** No site decided, and the call is Node's own follow-up of an earlier call, or a transparent package's: the app's. */
const FOLLOW_UP = Symbol('follow-up');
/** No site decided, and below Palisade's frames are a task queue's, evaluated code, or nothing: UNKNOWN_CALLER's. */
const HANDED_OFF = Symbol('handed off');

/**
 * The deciding site (its index, for learning the first look, and its owner), else which kind of undecided
 * stack this is, judged by the first site below Palisade's own.
 */
function attributeSites(
  sites: readonly NodeJS.CallSite[],
  transparent: PackageNames | undefined,
): { at: number; pkg: string | undefined } | typeof FOLLOW_UP | typeof HANDED_OFF {
  let undecided: typeof FOLLOW_UP | typeof HANDED_OFF | undefined;
  for (let i = 0; i < sites.length; i++) {
    const site = sites[i]!;
    const owner = ownerOfSite(site);
    if (owner === OWN || owner === ADAPTER) continue;
    // An async frame (`at async f`, below the real ones) is a function awaiting the promise this call's job
    // belongs to: who waits for the result, not who made the call. A sink chained with `.then(fs.readFileSync)`
    // in a package whose promise the app awaits shows only the app's. Asked only of a site that would decide.
    if (owner === NODE || owner === QUEUE || owner === ANONYMOUS) {
      if (undecided === undefined && !site.isAsync()) undecided = owner === NODE ? FOLLOW_UP : HANDED_OFF;
      continue;
    }
    if (site.isAsync()) continue;
    if (owner === APP) return { at: i, pkg: undefined };
    if (transparent?.has(owner)) {
      undecided = FOLLOW_UP;
      continue;
    }
    return { at: i, pkg: owner };
  }
  return undecided ?? HANDED_OFF;
}

/**
 * The first look at the stack below `anchor`: the call sites that
 * `Error.captureStackTrace(holder, anchor)` left in `holder.stack` under
 * `structuredStack`, with `Error.stackTraceLimit` at `look`
 * (`firstLookDepth`). The hook's entry point (`check` in hooking.ts) captures
 * them itself, and `callerFrom` analyses them later.
 */
export interface FirstLook {
  readonly sites: NodeJS.CallSite[];
  readonly look: number;
  readonly anchor: AnyFunction;
  /** Under which key the depth to the caller is learned, when not the operation's (`firstLookDepth`). */
  readonly key?: string | undefined;
  /** The caller, already found where the call was made (`decidedLook`): a check judged later, in a callback. */
  readonly decided?: { readonly pkg: string | undefined };
}

/** How deep the first look for `key` (the operation) reaches: as deep as its callers were recently found. */
export function firstLookDepth(key: string): number {
  return learnedLook.get(key)?.depth ?? LOOKS[0]!;
}

export function lookFrom(stack: unknown, look: number, anchor: AnyFunction, key?: string): FirstLook {
  return { sites: Array.isArray(stack) ? (stack as NodeJS.CallSite[]) : [], look, anchor, key };
}

/**
 * A caller found when the call was made, for a check that runs later in a callback of Node's, whose stack
 * holds no frame of the caller's (net's connect, judged when its DNS lookup answers).
 */
export function decidedLook(pkg: string | undefined): FirstLook {
  return { sites: [], look: 0, anchor: decidedLook, decided: { pkg } };
}

/** The `Error.prepareStackTrace` under which `holder.stack` is the call sites. */
export const structuredStack = structured;

/**
 * Who made the call: the owner of the innermost non-Palisade frame. App code
 * that calls a package's callback-taking API still owns its own callback, and
 * a package that calls `fetch` owns that fetch. `transparent` packages (HTTP
 * clients, ORMs, drivers that only carry out what their caller asked) are
 * skipped so the call is attributed to whoever used them. A sink run
 * straight from one of Node's task queues, with no such frame, is
 * UNKNOWN_CALLER's; Node's own follow-up of an earlier call is the app's.
 *
 * Frames are not built: call sites are read only until the owner is known.
 * The first look (`FirstLook`, below `anchor`, Palisade's entry point) is as
 * deep as callers were recently found for `key` (the operation); the stack
 * is read again, longer, only when those sites do not decide.
 */
export function callerFrom(first: FirstLook, transparent: PackageNames | undefined, key: string): string | undefined {
  if (first.decided !== undefined) return first.decided.pkg;
  const anchor = first.anchor;
  let { sites, look } = first;
  let from = anchor;
  for (;;) {
    if (sites.length === 0 && from !== callerFrom) {
      // The anchor is not on the stack (V8 then returns nothing): start here instead.
      from = callerFrom;
      sites = callSites(look, from);
    }
    const r = attributeSites(sites, transparent);
    if (typeof r === 'object') {
      if (from === anchor) learn(first.key ?? key, Math.min(r.at + 1, LOOKS[1]!));
      return r.pkg;
    }
    const next = LOOKS.find((l) => l > look);
    // No frame decided in the whole stack (or as much as is read). A call Node or a transparent package makes
    // on its own (an agent's queued request connecting, a pool reconnecting) follows up the app's earlier
    // call and stays the app's; a sink run straight from a task queue says nothing of who scheduled it.
    if (sites.length < look || next === undefined) return r === FOLLOW_UP ? undefined : UNKNOWN_CALLER;
    look = next;
    sites = callSites(look, from);
  }
}

/** `callerFrom` with the first look taken here. */
export function callerPackage(transparent: PackageNames | undefined, anchor: AnyFunction = callerPackage, key = ''): string | undefined {
  const look = firstLookDepth(key);
  return callerFrom({ sites: callSites(look, anchor), look, anchor }, transparent, key);
}
