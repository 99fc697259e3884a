import type * as VM from 'node:vm';
import { unwrap, wrap, type HookDefinition } from '../lib/hooking';
import type { EvalOperation } from '../lib/types';
import { checkCode } from './code';

/**
 * vm → code.eval. Every vm entry compiles through the module-internal
 * `Script` binding, never through `exports.Script`, so each exported entry
 * is judged exactly once at its own door: `new vm.Script` (and
 * `script.constructor`), `createScript`, `runInContext`, `runInNewContext`,
 * `runInThisContext`, `compileFunction`. A Script is judged when it is
 * compiled; running it later (`script.runIn*`) compiles nothing new.
 * vm.SourceTextModule exists only behind --experimental-vm-modules and is
 * not covered.
 */

const FUNCTIONS = ['createScript', 'runInContext', 'runInNewContext', 'runInThisContext', 'compileFunction'] as const;

/** Node converts `code` with a template literal; do it once here so app toString runs once. */
function codeArg(args: unknown[]): string | undefined {
  if (args.length === 0) return 'undefined';
  if (typeof args[0] === 'string') return args[0];
  try {
    args[0] = `${args[0] as string}`;
    return args[0] as string;
  } catch {
    return undefined;
  }
}

function op(fn: string, source: string): EvalOperation {
  return { name: 'code.eval', module: 'vm', fn, resource: { source, via: `vm.${fn}` } };
}

function buildScript(fn: string, args: unknown[]): EvalOperation | undefined {
  const source = codeArg(args);
  return source === undefined ? undefined : op(fn, source);
}

/** compileFunction rejects non-strings itself; parameters, when present, are judged with the body (as for Function). */
function buildCompileFunction(args: unknown[]): EvalOperation | undefined {
  const [code, params] = args;
  if (typeof code !== 'string') return undefined;
  if (params === undefined || (Array.isArray(params) && params.length === 0)) return op('compileFunction', code);
  if (!Array.isArray(params) || !params.every((p) => typeof p === 'string')) return undefined;
  return op('compileFunction', `function (${params.join(', ')}) {\n${code}\n}`);
}

type ScriptClass = typeof VM.Script;

interface ScriptPatch {
  original: ScriptClass;
  proxy: ScriptClass;
  ctorDescriptor: PropertyDescriptor | undefined;
}

const scriptPatches = new WeakMap<object, ScriptPatch>();
const ourScripts = new WeakSet<object>();

/** A Proxy keeps `instanceof vm.Script`, statics and subclassing (`new.target`). */
function patchScript(vm: typeof VM): void {
  const original = vm.Script;
  if (typeof original !== 'function' || ourScripts.has(original)) return;
  const proxy: ScriptClass = new Proxy(original, {
    construct(target, args: unknown[], newTarget) {
      const err = checkCode(buildScript, 'Script', args);
      if (err !== undefined) throw err;
      return Reflect.construct(target, args, newTarget === proxy ? target : newTarget) as object;
    },
  });
  ourScripts.add(proxy);
  const ctorDescriptor = Object.getOwnPropertyDescriptor(original.prototype, 'constructor');
  // `script.constructor === vm.Script` stays true, and `new script.constructor(src)` is judged too.
  if (ctorDescriptor !== undefined && ctorDescriptor.configurable === true) {
    Object.defineProperty(original.prototype, 'constructor', { ...ctorDescriptor, value: proxy });
  }
  vm.Script = proxy;
  scriptPatches.set(vm, { original, proxy, ctorDescriptor });
}

function unpatchScript(vm: typeof VM): void {
  const p = scriptPatches.get(vm);
  if (p === undefined) return;
  if (vm.Script === p.proxy) vm.Script = p.original;
  if (p.ctorDescriptor !== undefined && (p.original.prototype as { constructor: unknown }).constructor === p.proxy) {
    Object.defineProperty(p.original.prototype, 'constructor', p.ctorDescriptor);
  }
  scriptPatches.delete(vm);
}

export const vmHook: HookDefinition = {
  module: 'vm',
  builtin: true,
  patch(exports) {
    const vm = exports as typeof VM;
    patchScript(vm);
    wrap(vm, 'createScript', (orig) => function createScript(this: unknown, ...args: unknown[]) {
      const err = checkCode(buildScript, 'createScript', args);
      if (err !== undefined) throw err;
      return orig.apply(this, args);
    });
    wrap(vm, 'runInContext', (orig) => function runInContext(this: unknown, ...args: unknown[]) {
      const err = checkCode(buildScript, 'runInContext', args);
      if (err !== undefined) throw err;
      return orig.apply(this, args);
    });
    wrap(vm, 'runInNewContext', (orig) => function runInNewContext(this: unknown, ...args: unknown[]) {
      const err = checkCode(buildScript, 'runInNewContext', args);
      if (err !== undefined) throw err;
      return orig.apply(this, args);
    });
    wrap(vm, 'runInThisContext', (orig) => function runInThisContext(this: unknown, ...args: unknown[]) {
      const err = checkCode(buildScript, 'runInThisContext', args);
      if (err !== undefined) throw err;
      return orig.apply(this, args);
    });
    wrap(vm, 'compileFunction', (orig) => function compileFunction(this: unknown, ...args: unknown[]) {
      const err = checkCode(buildCompileFunction, args);
      if (err !== undefined) throw err;
      return orig.apply(this, args);
    });
    return exports;
  },
  unpatch(exports) {
    const vm = exports as typeof VM;
    for (const f of FUNCTIONS) unwrap(vm, f);
    unpatchScript(vm);
  },
};
