import { internalError, shouldInspect } from '../lib/agent';
import type { PalisadeBlockedError } from '../lib/errors';
import { check, type HookDefinition } from '../lib/hooking';
import type { EvalOperation } from '../lib/types';

/**
 * The Function constructors → code.eval. There are four (Function,
 * AsyncFunction, GeneratorFunction, AsyncGeneratorFunction). Apps reach them by
 * the global `Function` or through the `constructor` property of each
 * function prototype (`(() => {}).constructor`, `(async () => {}).constructor`,
 * `({}).constructor.constructor`). We replace all five references with a Proxy
 * around the original. A Proxy keeps `prototype`, `name`, `length`,
 * `instanceof` and a native-looking `toString`, and `new.target` for subclasses.
 *
 * `eval` is deliberately left alone: V8 makes `eval(x)` a direct eval only
 * when the callee is the realm's original %eval%, so any replacement of
 * `globalThis.eval` would silently turn every direct eval in the app into an
 * indirect one (no access to local scope). docs/hooks-code.md explains what
 * that leaves uncovered.
 */

interface Flavour {
  via: string;
  /** Keyword(s) V8 puts before `anonymous(` when it builds the source text. */
  header: string;
}

const FLAVOURS: ReadonlyArray<readonly [Flavour, unknown]> = [
  [{ via: 'Function', header: 'function' }, function () {}],
  [{ via: 'AsyncFunction', header: 'async function' }, async function () {}],
  [{ via: 'GeneratorFunction', header: 'function*' }, function* () {}],
  [{ via: 'AsyncGeneratorFunction', header: 'async function*' }, async function* () {}],
];

/**
 * Palisade's own dependencies may compile code while an operation is being
 * judged (schema validators, serializers); those calls are never judged.
 */
let depth = 0;

/** `check` with re-entrancy protection, shared by the Function and vm hooks. */
export function checkCode<A>(build: (a: A) => EvalOperation | undefined, a: A): PalisadeBlockedError | undefined;
export function checkCode<A, B>(build: (a: A, b: B) => EvalOperation | undefined, a: A, b: B): PalisadeBlockedError | undefined;
export function checkCode(build: (a: unknown, b: unknown) => EvalOperation | undefined, a: unknown, b?: unknown): PalisadeBlockedError | undefined {
  // Fast path first: every Function/vm call in the process comes through here.
  if (depth > 0 || !shouldInspect('code.eval')) return undefined;
  depth++;
  try {
    return check('code.eval', build, a, b);
  } finally {
    depth--;
  }
}

/**
 * ToString every argument once, in place, the way the constructor would
 * (template literal: Symbols throw), so app `toString` methods run exactly
 * once and the code judged is exactly the code compiled. False when a
 * conversion throws: the original call then throws the app's own error.
 */
function stringifyInPlace(args: unknown[]): boolean {
  try {
    for (let i = 0; i < args.length; i++) if (typeof args[i] !== 'string') args[i] = `${args[i] as string}`;
    return true;
  } catch {
    return false;
  }
}

/**
 * The body alone when there are no parameters — so a body that is a piece
 * cut out of a larger input is still found inside that input — else the
 * exact text V8 compiles, `function anonymous(a,b\n) {\nbody\n}`, so an
 * input in the parameter list (default values run code) is judged as well.
 */
function buildFunction(f: Flavour, args: unknown[]): EvalOperation | undefined {
  if (!stringifyInPlace(args)) return undefined;
  const n = args.length;
  const body = n === 0 ? '' : (args[n - 1] as string);
  const source = n <= 1 ? body : `${f.header} anonymous(${(args.slice(0, n - 1) as string[]).join(',')}\n) {\n${body}\n}`;
  return { name: 'code.eval', module: 'global', fn: f.via, resource: { source, via: f.via } };
}

type Ctor = (...args: unknown[]) => unknown;

interface Installed {
  owner: object;
  key: string;
  descriptor: PropertyDescriptor;
  proxy: Ctor;
}

const installed: Installed[] = [];
const ours = new WeakSet<object>();

function proxyFor(f: Flavour, original: Ctor, functionProxy: () => Ctor | undefined): Ctor {
  const handler: ProxyHandler<Ctor> = {
    apply(target, thisArg, args: unknown[]) {
      const err = checkCode(buildFunction, f, args);
      if (err !== undefined) throw err;
      return Reflect.apply(target, thisArg, args);
    },
    construct(target, args: unknown[], newTarget) {
      const err = checkCode(buildFunction, f, args);
      if (err !== undefined) throw err;
      return Reflect.construct(target, args, newTarget === proxy ? target : newTarget) as object;
    },
  };
  // AsyncFunction & co. inherit from %Function%; keep
  // `Object.getPrototypeOf(AsyncFunction) === Function` true for the app.
  // (A trap on a non-extensible target may not lie, so only when allowed.)
  if (f.via !== 'Function' && Object.isExtensible(original)) {
    handler.getPrototypeOf = (target) => {
      const proto = Reflect.getPrototypeOf(target);
      const fp = functionProxy();
      return proto === FunctionOriginal && fp !== undefined ? fp : proto;
    };
  }
  const proxy = new Proxy(original, handler);
  return proxy;
}

const FunctionOriginal: unknown = Function;

/** Replace owner[key] (a constructor reference) keeping its attributes; false when frozen. */
function replace(owner: object, key: string, proxy: Ctor, label: string): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(owner, key);
  if (descriptor === undefined || !('value' in descriptor)) return false;
  if (ours.has(descriptor.value as object)) return false;
  try {
    Object.defineProperty(owner, key, { ...descriptor, value: proxy });
  } catch (err) {
    // --frozen-intrinsics or an app that froze the prototypes: that route stays unguarded, and we say so.
    internalError(new Error(`code.eval: cannot guard ${label}: ${err instanceof Error ? err.message : String(err)}`));
    return false;
  }
  installed.push({ owner, key, descriptor, proxy });
  return true;
}

function patchGlobals(): void {
  let functionProxy: Ctor | undefined;
  const getFunctionProxy = (): Ctor | undefined => functionProxy;
  for (const [f, sample] of FLAVOURS) {
    const proto = Object.getPrototypeOf(sample) as { constructor: Ctor };
    const original = proto.constructor;
    if (ours.has(original)) {
      if (f.via === 'Function') functionProxy = original;
      continue;
    }
    const proxy = proxyFor(f, original, getFunctionProxy);
    ours.add(proxy);
    if (f.via === 'Function') {
      functionProxy = proxy;
      replace(globalThis, 'Function', proxy, 'globalThis.Function');
    }
    replace(proto, 'constructor', proxy, `${f.via}.prototype.constructor`);
  }
}

function unpatchGlobals(): void {
  for (const i of installed.splice(0).reverse()) {
    const now = Object.getOwnPropertyDescriptor(i.owner, i.key);
    if (now !== undefined && now.value === i.proxy) Object.defineProperty(i.owner, i.key, i.descriptor);
  }
}

/**
 * The Function constructors are globals, not a module. The hook is keyed to
 * `vm` only because the installer requires a builtin to hand to `patch`;
 * the exports are not touched here (hooks/vm.ts does that).
 */
export const functionHook: HookDefinition = {
  module: 'vm',
  builtin: true,
  patch(exports) {
    patchGlobals();
    return exports;
  },
  unpatch() {
    unpatchGlobals();
  },
};
