import t from 'tap';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { start, untrusted, isPalisadeBlockedError } from '../../lib/index';
import { __setFaultInjector } from '../../lib/agent';
import { readEvents, tmpDir } from '../helpers/app';

// Every way to reach the Function constructors and vm, judged in-process
// inside an untrusted() scope: arithmetic runs, injected code is refused
// synchronously before it is compiled, and monitor mode lets the same
// payload run (so the block-mode assertions can fail).

// Started before anything below captures a constructor, as the preload would be.
const dir = tmpDir();
const blockLog = path.join(dir, 'block.log');
const running = start({ mode: 'block', log: blockLog });

type Ctor = new (...args: string[]) => (...a: unknown[]) => unknown;
const AF = Object.getPrototypeOf(async function () {}).constructor as Ctor;
const GF = Object.getPrototypeOf(function* () {}).constructor as Ctor;
const AGF = Object.getPrototypeOf(async function* () {}).constructor as Ctor;
const F = Function as unknown as Ctor;
const FnCall = Function as unknown as (...args: string[]) => (...a: unknown[]) => unknown;

interface Hit { __hit?: number; box?: object }
const g = globalThis as unknown as Hit;
g.box = {};

/** The payload: escape to the main realm's Function through an object, then write a global. */
const ATTACK = "box.constructor.constructor('globalThis.__hit = 1')()";
const BENIGN = '6 * 7';

interface Entry {
  name: string;
  via: string;
  /** Compile `expr` as an expression through this entry point; the thunk runs it. */
  compile: (expr: string) => () => unknown;
}

const entries: Entry[] = [
  { name: 'Function(...)', via: 'Function', compile: (e) => FnCall('return ' + e) },
  { name: 'new Function(...)', via: 'Function', compile: (e) => new F('return ' + e) },
  { name: 'new Function(param, body)', via: 'Function', compile: (e) => { const f = new F('a', 'return a + ' + e); return () => f(0); } },
  { name: 'Function(param injected)', via: 'Function', compile: (e) => { const f = new F(`a = ${e}`, 'return a'); return () => f(); } },
  { name: '(() => {}).constructor', via: 'Function', compile: (e) => new ((() => 0).constructor as Ctor)('return ' + e) },
  { name: 'Function.prototype.constructor', via: 'Function', compile: (e) => new (Function.prototype.constructor as Ctor)('return ' + e) },
  { name: '({}).constructor.constructor', via: 'Function', compile: (e) => (({}).constructor.constructor as typeof FnCall)('return ' + e) },
  { name: 'Function.call', via: 'Function', compile: (e) => Function.call(null, 'return ' + e) as () => unknown },
  { name: 'Function.apply', via: 'Function', compile: (e) => Function.apply(null, ['return ' + e]) as () => unknown },
  { name: 'Function.bind', via: 'Function', compile: (e) => (Function.bind(null, 'return ' + e) as () => () => unknown)() },
  { name: 'Reflect.construct', via: 'Function', compile: (e) => Reflect.construct(Function, ['return ' + e]) as () => unknown },
  { name: 'class extends Function', via: 'Function', compile: (e) => { class C extends F { constructor() { super('return ' + e); } } return new C(); } },
  { name: 'AsyncFunction', via: 'AsyncFunction', compile: (e) => new ((async () => 0).constructor as Ctor)('return ' + e) },
  { name: 'AsyncFunction called', via: 'AsyncFunction', compile: (e) => (AF as unknown as typeof FnCall)('return ' + e) },
  { name: 'GeneratorFunction', via: 'GeneratorFunction', compile: (e) => { const gf = new GF('yield ' + e); return () => (gf() as Iterator<unknown>).next().value; } },
  { name: 'AsyncGeneratorFunction', via: 'AsyncGeneratorFunction', compile: (e) => { const agf = new AGF('yield ' + e); return async () => (await (agf() as AsyncIterator<unknown>).next()).value; } },
  { name: 'new vm.Script', via: 'vm.Script', compile: (e) => { const s = new vm.Script(e); return () => s.runInThisContext(); } },
  { name: 'script.constructor', via: 'vm.Script', compile: (e) => { const S = new vm.Script('0').constructor as typeof vm.Script; const s = new S(e); return () => s.runInThisContext(); } },
  { name: 'vm.createScript', via: 'vm.createScript', compile: (e) => { const s = (vm as unknown as { createScript(c: string): vm.Script }).createScript(e); return () => s.runInThisContext(); } },
  { name: 'vm.runInContext', via: 'vm.runInContext', compile: (e) => { const ctx = vm.createContext({ box: g.box }); const r = vm.runInContext(e, ctx) as unknown; return () => r; } },
  { name: 'vm.runInNewContext', via: 'vm.runInNewContext', compile: (e) => { const r = vm.runInNewContext(e, { box: g.box }) as unknown; return () => r; } },
  { name: 'vm.runInThisContext', via: 'vm.runInThisContext', compile: (e) => { const r = vm.runInThisContext(e) as unknown; return () => r; } },
  { name: 'vm.compileFunction', via: 'vm.compileFunction', compile: (e) => vm.compileFunction('return ' + e) as () => unknown },
  { name: 'vm.compileFunction with params', via: 'vm.compileFunction', compile: (e) => { const f = vm.compileFunction('return a + ' + e, ['a']); return () => f(0); } },
];


const inScope = <T>(expr: string, fn: () => T): T => untrusted('queue', { expr }, fn);

t.test('block mode: each entry point runs arithmetic and refuses injected code', async (t) => {
  for (const e of entries) {
    t.equal(await inScope(BENIGN, () => e.compile(BENIGN))(), 42, `${e.name}: benign`);
    g.__hit = undefined;
    let thrown: unknown;
    try {
      inScope(ATTACK, () => e.compile(ATTACK));
    } catch (err) {
      thrown = err;
    }
    t.ok(isPalisadeBlockedError(thrown), `${e.name}: thrown synchronously at compile time`);
    t.match(thrown, { code: 'ERR_PALISADE_BLOCKED', statusCode: 403, kind: 'code_injection', operation: 'code.eval' });
    t.equal(g.__hit, undefined, `${e.name}: the payload never ran`);
    const ev = readEvents(blockLog).find((x) => x.eventId === (thrown as { eventId?: string }).eventId);
    t.match(ev, { action: 'block', kind: 'code_injection', operation: 'code.eval', resource: { via: e.via }, input: { source: 'queue.expr', value: ATTACK } }, `${e.name}: event`);
    t.ok(String(ev?.resource?.source).includes(ATTACK), `${e.name}: event shows the source`);
    t.match(ev?.frame?.file, /entry-points\.test\.ts$/, `${e.name}: frame is the caller, not Palisade`);
  }
  t.equal(readEvents(blockLog).filter((x) => x.action === 'block').length, entries.length, 'one block per attack, none for arithmetic');
});

t.test('the same payload outside any untrusted scope is not judged (no taint, no policy)', async (t) => {
  g.__hit = undefined;
  new F('return ' + ATTACK)();
  t.equal(g.__hit, 1, 'ran');
  g.__hit = undefined;
});

t.test('eval is not hooked (documented gap); the usual escape through it is still caught at Function', async (t) => {
  g.__hit = undefined;
  const before = readEvents(blockLog).length;
  inScope('(globalThis.__hit = 2)', () => (0, eval)('(globalThis.__hit = 2)'));
  t.equal(g.__hit, 2, 'indirect eval of tainted code is not judged');
  t.equal(readEvents(blockLog).length, before, 'and not reported');
  g.__hit = undefined;
  t.throws(() => inScope(ATTACK, () => (0, eval)(ATTACK)), { code: 'ERR_PALISADE_BLOCKED' }, 'eval(x.constructor.constructor(...)) dies at the Function constructor');
  const ev = readEvents(blockLog).at(-1);
  t.match(ev, { kind: 'code_injection', resource: { via: 'Function', source: 'globalThis.__hit = 1' }, detail: { direction: 'payload-in-input' } });
  t.equal(g.__hit, undefined);
});

t.test('fast path: nothing is built or inspected outside a scope; once per call inside', async (t) => {
  let inspected = 0;
  __setFaultInjector(() => { inspected++; });
  t.teardown(() => __setFaultInjector(undefined));
  for (const e of entries) await e.compile(BENIGN)();
  t.equal(inspected, 0, 'no operation reached inspect() outside a scope');
  for (const e of entries) await inScope(BENIGN, () => e.compile(BENIGN))();
  t.equal(inspected, entries.length + 1, 'exactly one inspection per compile inside a scope (+1: script.constructor compiles two scripts)');
});

t.test("Palisade's own code evaluation while judging is never judged (no recursion)", async (t) => {
  let inspected = 0;
  __setFaultInjector(() => {
    inspected++;
    new F('return 1')();
    vm.runInThisContext('1');
  });
  t.teardown(() => __setFaultInjector(undefined));
  t.equal(inScope(BENIGN, () => new F('return ' + BENIGN)()), 42);
  t.equal(inspected, 1);
});

t.test('monitor mode: the same payloads run and are reported', async (t) => {
  running.stop();
  const monitorLog = path.join(dir, 'monitor.log');
  start({ mode: 'monitor', log: monitorLog });
  for (const e of entries) {
    g.__hit = undefined;
    await inScope(ATTACK, () => e.compile(ATTACK))();
    t.equal(g.__hit, 1, `${e.name}: the payload really works when not blocked`);
  }
  g.__hit = undefined;
  const reports = readEvents(monitorLog).filter((x) => x.kind === 'code_injection');
  t.ok(reports.length >= entries.length, 'reported');
  t.ok(reports.every((x) => x.action === 'report' && x.mode === 'monitor'));
  t.same(new Set(reports.map((x) => x.resource.via)), new Set(entries.map((e) => e.via).concat('Function')));
});
