import t from 'tap';
import * as path from 'node:path';
import * as util from 'node:util';
import * as vm from 'node:vm';
import { start, untrusted } from '../../lib/index';
import { functionHook } from '../../hooks/code';
import { vmHook } from '../../hooks/vm';
import { isPalisadeWrapper } from '../../lib/hooking';
import { tmpDir } from '../helpers/app';

// The patch must not change what the app can observe about Function, the
// other function constructors, eval and vm. Everything is snapshotted before
// start() and compared after; `isProxy` proves the comparison is made against
// the patched objects (otherwise these tests could not fail).

type Ctor = new (...args: string[]) => (...a: unknown[]) => unknown;
const AsyncFunctionOf = (): Ctor => Object.getPrototypeOf(async function () {}).constructor as Ctor;
const GeneratorFunctionOf = (): Ctor => Object.getPrototypeOf(function* () {}).constructor as Ctor;
const AsyncGeneratorFunctionOf = (): Ctor => Object.getPrototypeOf(async function* () {}).constructor as Ctor;
const constructorHolders = (): Array<[string, object]> => [
  ['Function.prototype', Function.prototype],
  ['AsyncFunction.prototype', Object.getPrototypeOf(async function () {}) as object],
  ['GeneratorFunction.prototype', Object.getPrototypeOf(function* () {}) as object],
  ['AsyncGeneratorFunction.prototype', Object.getPrototypeOf(async function* () {}) as object],
];

function describe(): Record<string, unknown> {
  const F = Function as unknown as Ctor;
  const out: Record<string, unknown> = {
    globalFunctionDescriptor: { ...Object.getOwnPropertyDescriptor(globalThis, 'Function'), value: undefined },
    functionOwnKeys: Reflect.ownKeys(Function),
    functionName: Function.name,
    functionLength: Function.length,
    functionProtoIsProto: Object.getPrototypeOf(Function) === Function.prototype,
    typeofFunction: typeof Function,
    objectTag: Object.prototype.toString.call(Function),
    inspect: util.inspect(Function),
    createdToString: Function.prototype.toString.call(new F('a', 'b', 'return a + b')),
    createdNoArgsToString: String(new F()),
    asyncToString: String(new (AsyncFunctionOf())('x', 'return await x')),
    generatorToString: String(new (GeneratorFunctionOf())('yield 1')),
    asyncGeneratorToString: String(new (AsyncGeneratorFunctionOf())('yield 1')),
    syntaxError: (() => { try { new F('{'); return 'none'; } catch (e) { return `${(e as Error).name}: ${(e as Error).message}`; } })(),
    names: [AsyncFunctionOf().name, GeneratorFunctionOf().name, AsyncGeneratorFunctionOf().name],
    lengths: [AsyncFunctionOf().length, GeneratorFunctionOf().length, AsyncGeneratorFunctionOf().length],
    ctorProtos: [AsyncFunctionOf(), GeneratorFunctionOf(), AsyncGeneratorFunctionOf()].map((C) => Object.getPrototypeOf(C) === Function),
    evalIsGlobalEval: eval === globalThis.eval,
    vmScriptKeys: Reflect.ownKeys(vm.Script),
    vmScriptName: vm.Script.name,
    vmScriptLength: vm.Script.length,
    vmFunctionShapes: ['createScript', 'runInContext', 'runInNewContext', 'runInThisContext', 'compileFunction'].map((k) => {
      const f = (vm as unknown as Record<string, (...a: unknown[]) => unknown>)[k]!;
      return [f.name, f.length];
    }),
  };
  for (const [name, holder] of constructorHolders()) {
    out[`${name}.constructor descriptor`] = { ...Object.getOwnPropertyDescriptor(holder, 'constructor'), value: undefined };
  }
  out['vm.Script.prototype.constructor descriptor'] = { ...Object.getOwnPropertyDescriptor(vm.Script.prototype, 'constructor'), value: undefined };
  return out;
}

const ORIGINAL = {
  Function,
  AsyncFunction: AsyncFunctionOf(),
  GeneratorFunction: GeneratorFunctionOf(),
  AsyncGeneratorFunction: AsyncGeneratorFunctionOf(),
  eval: globalThis.eval,
  Script: vm.Script,
  nativeString: String(Function),
};
const before = describe();

start({ mode: 'block', log: path.join(tmpDir(), 'events.log') });

t.test('the constructors are patched (the comparisons below are not vacuous)', async (t) => {
  t.ok(util.types.isProxy(Function), 'global Function');
  t.not(Function, ORIGINAL.Function);
  t.ok(util.types.isProxy(AsyncFunctionOf()), 'AsyncFunction');
  t.ok(util.types.isProxy(GeneratorFunctionOf()), 'GeneratorFunction');
  t.ok(util.types.isProxy(AsyncGeneratorFunctionOf()), 'AsyncGeneratorFunction');
  t.ok(util.types.isProxy(vm.Script), 'vm.Script');
  t.equal(globalThis.eval, ORIGINAL.eval, 'eval is deliberately not replaced');
});

t.test('everything observable is as before', async (t) => {
  t.same(describe(), before);
});

t.test('Function identity', async (t) => {
  const arrow = (): number => 1;
  t.equal(globalThis.Function, Function);
  t.equal(arrow.constructor, Function, '(() => {}).constructor === Function');
  t.equal(Function.prototype.constructor, Function);
  t.equal(({}).constructor.constructor, Function, '({}).constructor.constructor === Function');
  t.equal(Object.getPrototypeOf(Function), Function.prototype);
  t.equal(Function.prototype, ORIGINAL.Function.prototype, 'same Function.prototype object');
  for (const f of [arrow, function () {}, class {}, async () => {}, function* () {}, arrow.bind(null), new Function('return 1')]) {
    t.ok(f instanceof Function, `${String(f).slice(0, 20)} instanceof Function`);
    t.ok(f instanceof ORIGINAL.Function, 'and instanceof the original');
  }
  t.notOk(({}) instanceof Function);
  t.equal(Object.getPrototypeOf(new Function('')), Function.prototype);
  t.match(String(Function), /^function \w*\(\) \{\s*\[native code\]\s*\}$/, 'still looks native (lodash isNative pattern)');
  t.equal(ORIGINAL.nativeString, 'function Function() { [native code] }');
  t.equal(String(Function), 'function () { [native code] }', 'documented difference: a Proxy prints without its name');
  t.equal(Function.prototype.toString.call(Function.prototype.toString), 'function toString() { [native code] }', 'toString itself untouched');
});

t.test('Function calling conventions', async (t) => {
  const F = Function as unknown as Ctor;
  t.equal((Function('return 5') as () => number)(), 5, 'Function(...)');
  t.equal(new F('a', 'b', 'return a * b')(6, 7), 42, 'new Function(...)');
  t.equal(new F('a, b', 'return a - b')(9, 2), 7, 'parameter list in one string');
  t.equal(Function.apply(null, ['x', 'return x * 2'])(4), 8, 'Function.apply');
  t.equal(Function.call(null, 'return 9')(), 9, 'Function.call');
  t.equal(Function.bind(null, 'y', 'return y + 1')()(1), 2, 'Function.bind');
  t.equal((Reflect.construct(Function, ['return 3']) as () => number)(), 3, 'Reflect.construct');
  class Callable extends (Function as unknown as Ctor) {
    constructor() {
      super('return 7');
    }
  }
  const c = new Callable();
  t.equal(c(), 7, 'class extends Function');
  t.ok(c instanceof Callable);
  t.ok(c instanceof Function);
  class Other {}
  const viaNewTarget = Reflect.construct(Function, ['return 4'], Other) as () => number;
  t.equal(Object.getPrototypeOf(viaNewTarget), Other.prototype, 'Reflect.construct with newTarget');
  const hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty) as (o: object, k: string) => boolean;
  t.ok(hasOwn({ a: 1 }, 'a'), 'Function.prototype.call.bind pattern');
  const sloppyThis = new F('return this')() as unknown;
  t.equal(sloppyThis, globalThis, 'created functions are sloppy as before');
});

t.test('async, generator and async generator constructors', async (t) => {
  const AF = AsyncFunctionOf();
  const GF = GeneratorFunctionOf();
  const AGF = AsyncGeneratorFunctionOf();
  t.equal((async () => {}).constructor, AF);
  t.equal((function* () {}).constructor, GF);
  t.equal((async function* () {}).constructor, AGF);
  const af = new AF('x', 'return await x');
  t.ok(util.types.isAsyncFunction(af));
  t.equal(await af(Promise.resolve(5)), 5);
  t.ok(af instanceof AF);
  t.ok(af instanceof Function);
  t.equal(AF.prototype, Object.getPrototypeOf(async function () {}));
  t.equal(Object.getPrototypeOf(AF), Function, 'Object.getPrototypeOf(AsyncFunction) === Function');
  const gf = new GF('yield 1; yield 2');
  t.ok(util.types.isGeneratorFunction(gf));
  t.same([...(gf() as Iterable<number>)], [1, 2]);
  const agf = (AGF as unknown as (...a: string[]) => () => AsyncIterable<number>)('yield 3');
  const got: number[] = [];
  for await (const v of agf()) got.push(v);
  t.same(got, [3], 'AsyncGeneratorFunction called without new');
});

t.test('eval keeps direct and indirect semantics', async (t) => {
  const local = 'inside';
  // eslint-disable-next-line no-eval
  t.equal(eval('local'), 'inside', 'direct eval sees the local scope');
  const indirect = eval;
  t.equal(indirect('typeof local'), 'undefined', 'indirect eval runs in global scope');
  t.equal((0, eval)('1 + 1'), 2);
  t.equal(local, 'inside');
});

t.test('vm identity and behaviour', async (t) => {
  const s = new vm.Script('a + 1');
  t.ok(s instanceof vm.Script);
  t.ok(s instanceof ORIGINAL.Script);
  t.equal(s.constructor, vm.Script, 'script.constructor === vm.Script');
  t.equal(Object.getPrototypeOf(s), ORIGINAL.Script.prototype);
  t.equal(s.runInNewContext({ a: 1 }), 2);
  t.ok(vm.createScript('1') instanceof vm.Script, 'createScript result is a vm.Script');
  class MyScript extends vm.Script {
    tag = 'mine';
  }
  const m = new MyScript('2 * 21');
  t.equal(m.tag, 'mine');
  t.equal(m.runInThisContext(), 42, 'subclassing vm.Script');
  t.ok(m instanceof vm.Script);
  t.equal(vm.runInNewContext('a + b', { a: 1, b: 2 }), 3);
  const ctx = vm.createContext({ n: 2 });
  t.equal(vm.runInContext('n * 10', ctx), 20);
  t.equal(vm.runInThisContext('typeof require'), 'undefined', 'runInThisContext: global scope');
  const fn = vm.compileFunction('return a + b', ['a', 'b']);
  t.equal(fn(2, 3), 5);
  t.throws(() => (vm.Script as unknown as () => void)(), TypeError, 'calling the class without new still throws');
  t.throws(() => vm.compileFunction(42 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' }, 'Node validation errors unchanged');
  t.throws(() => new vm.Script('{'), SyntaxError);
  const esm = (await import('node:vm')) as typeof vm & { default: typeof vm };
  t.equal(esm.Script, vm.Script, 'ESM named export is the patched class');
  t.equal(esm.runInNewContext, vm.runInNewContext, 'ESM named export is the wrapped function');
});

t.test('arguments are converted exactly once, judged or not (no double toString)', async (t) => {
  let calls = 0;
  const body = { toString: () => { calls++; return 'return 11'; } };
  const F = Function as unknown as new (...a: unknown[]) => () => number;
  t.equal(new F(body)(), 11);
  t.equal(calls, 1, 'outside a scope: only V8 converts');
  calls = 0;
  t.equal(untrusted('queue', { x: 'hello world' }, () => new F(body)()), 11);
  t.equal(calls, 1, 'inside a scope: converted once, by the hook, and V8 gets the string');
  calls = 0;
  t.equal(untrusted('queue', { x: 'hello world' }, () => new vm.Script({ toString: () => { calls++; return '11'; } } as unknown as string).runInThisContext()), 11);
  t.equal(calls, 1, 'vm.Script too');
  const sym = Symbol('s');
  t.throws(() => untrusted('queue', { x: 'hello' }, () => new F(sym)), TypeError, 'a Symbol still throws TypeError');
});

t.test('unpatch restores the originals; patch again re-installs', async (t) => {
  // The hooks get the module's real exports object (not a TypeScript import namespace).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exportsOfVm = require('node:vm') as typeof vm;
  functionHook.unpatch!(exportsOfVm);
  vmHook.unpatch!(exportsOfVm);
  t.equal(globalThis.Function, ORIGINAL.Function);
  t.equal(Function.prototype.constructor, ORIGINAL.Function);
  t.equal(AsyncFunctionOf(), ORIGINAL.AsyncFunction);
  t.equal(GeneratorFunctionOf(), ORIGINAL.GeneratorFunction);
  t.equal(AsyncGeneratorFunctionOf(), ORIGINAL.AsyncGeneratorFunction);
  t.equal(vm.Script, ORIGINAL.Script);
  t.equal(vm.Script.prototype.constructor, ORIGINAL.Script);
  t.notOk(isPalisadeWrapper(vm.runInNewContext));
  t.same(describe(), before);
  functionHook.patch(exportsOfVm, 'vm');
  vmHook.patch(exportsOfVm, 'vm');
  functionHook.patch(exportsOfVm, 'vm');
  vmHook.patch(exportsOfVm, 'vm');
  t.ok(util.types.isProxy(Function));
  t.ok(util.types.isProxy(vm.Script));
  // Patching twice must not wrap twice: a single unpatch restores the originals.
  functionHook.unpatch!(exportsOfVm);
  vmHook.unpatch!(exportsOfVm);
  t.equal(globalThis.Function, ORIGINAL.Function, 'not double wrapped: Function');
  t.equal(AsyncFunctionOf(), ORIGINAL.AsyncFunction, 'not double wrapped: AsyncFunction');
  t.equal(vm.Script, ORIGINAL.Script, 'not double wrapped: vm.Script');
  t.equal(vm.runInNewContext.toString().includes('checkCode'), false, 'not double wrapped: runInNewContext');
  functionHook.patch(exportsOfVm, 'vm');
  vmHook.patch(exportsOfVm, 'vm');
  t.ok(util.types.isProxy(Function));
  t.ok(util.types.isProxy(vm.Script));
  t.ok(util.types.isProxy(AsyncFunctionOf()));
  t.equal(Object.getPrototypeOf(AsyncFunctionOf()), Function);
  t.same(describe(), before);
});
