import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import { UNKNOWN_CALLER, callerPackage } from '../../lib/stack';

// Package attribution reads the stack as short as it can: V8 summarises every
// frame it visits, so a look deeper than the caller costs frames for nothing.
// These tests record the stack-trace limit of every capture.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const relay = require(path.join(__dirname, '..', 'fixtures', 'policy-app', 'node_modules', 'relay-like')) as (n: number, f: () => string | undefined) => string | undefined;
const RELAY = new Set(['relay-like']);

function recordLimits(t: Test): number[] {
  const limits: number[] = [];
  const orig = Error.captureStackTrace;
  Error.captureStackTrace = function (this: unknown, target: object, fn?: Function) {
    limits.push(Error.stackTraceLimit);
    return orig.call(Error, target, fn);
  } as typeof Error.captureStackTrace;
  t.teardown(() => {
    Error.captureStackTrace = orig;
  });
  return limits;
}

/** Attribution seen from below `relay`'s n+1 frames, which a transparent package's are. */
function attributeThrough(n: number, key: string, transparent: ReadonlySet<string> | undefined): string | undefined {
  const probe = (): string | undefined => callerPackage(transparent, probe, key);
  return relay(n, probe);
}

t.test('the first look learns how deep the caller is, per key', async (t) => {
  const limits = recordLimits(t);
  t.equal(attributeThrough(0, 'learn', RELAY), undefined, 'the test file is app code');
  t.same(limits, [4], 'nothing learned yet: the default first look');
  limits.length = 0;
  for (let i = 0; i < 5; i++) attributeThrough(0, 'learn', RELAY);
  // Below the probe: relay's frame (transparent), then this file's frame.
  t.same(limits, [2, 2, 2, 2, 2], 'one capture per call, exactly as deep as the caller');
  limits.length = 0;
  attributeThrough(0, 'other key', RELAY);
  t.same(limits, [4], 'another key learns on its own');
});

t.test('a deeper caller widens the look at once; it narrows after calm calls', async (t) => {
  const limits = recordLimits(t);
  attributeThrough(0, 'widen', RELAY);
  limits.length = 0;
  t.equal(attributeThrough(5, 'widen', RELAY), undefined);
  t.same(limits, [2, 4, 14], 'the learned look falls short, then the longer looks decide');
  limits.length = 0;
  for (let i = 0; i < 16; i++) attributeThrough(0, 'widen', RELAY);
  t.same(limits, new Array(16).fill(7), 'the deep caller (index 6) sets the look for the calm calls that follow');
  limits.length = 0;
  attributeThrough(0, 'widen', RELAY);
  t.same(limits, [2], 'after 16 calls that needed 2, the look narrows to 2');
});

t.test('it narrows to the deepest need among the calm calls', async (t) => {
  const limits = recordLimits(t);
  attributeThrough(5, 'narrow', RELAY); // depth 7
  attributeThrough(2, 'narrow', RELAY); // needs 4
  for (let i = 0; i < 15; i++) attributeThrough(0, 'narrow', RELAY); // need 2
  limits.length = 0;
  attributeThrough(0, 'narrow', RELAY);
  t.same(limits, [4], 'the window needed 4 once: the look narrows to 4, not to the last need');
});

t.test('a short look never changes the answer: a package below transparent frames is found', async (t) => {
  const limits = recordLimits(t);
  for (let i = 0; i < 3; i++) attributeThrough(0, 'answer', undefined);
  t.same(limits, [4, 1, 1], 'relay owns the call when it is not transparent (index 0)');
  t.equal(attributeThrough(0, 'answer', undefined), 'relay-like');
  t.equal(attributeThrough(3, 'answer', undefined), 'relay-like');
  t.equal(attributeThrough(3, 'answer', RELAY), undefined, 'through transparent frames the app is found, past the learned look');
});

// What a stack with no app or package frame is attributed to (lib/stack.ts, UNKNOWN_CALLER). Each probe is its
// own anchor, so the sites read start below it: with what runs it.
t.test('a call run straight from a task queue is the unknown caller\'s', async (t) => {
  t.equal(await Promise.resolve(RELAY).then(callerPackage), UNKNOWN_CALLER, 'a promise job');
  const immediate = (resolve: (v: string | undefined) => void): void => resolve(callerPackage(RELAY, immediate));
  t.equal(await new Promise<string | undefined>((resolve) => setImmediate(immediate, resolve)), UNKNOWN_CALLER, 'an immediate');
  function callback(transparent: ReadonlySet<string>, cb: (err: null, v: string | undefined) => void): void {
    cb(null, callerPackage(transparent, callback));
  }
  t.equal(await Promise.resolve(RELAY).then(util.promisify(callback)), UNKNOWN_CALLER, 'a promise job through util.promisify');
  const evaluated = new Function('attribute', 'transparent', 'return attribute(transparent)') as (f: typeof callerPackage, r: typeof RELAY) => string | undefined;
  t.equal(await Promise.resolve().then(evaluated.bind(null, callerPackage, RELAY)), UNKNOWN_CALLER, 'a promise job through evaluated code');
  t.equal(evaluated(callerPackage, RELAY), undefined, 'evaluated code called from this file is the app\'s');
});

t.test('a call behind Node\'s own frames or a transparent package\'s is a follow-up: the app\'s', async (t) => {
  const afterStat = await new Promise<string | undefined>((resolve) => {
    const stat = (): void => resolve(callerPackage(RELAY, stat));
    fs.stat(__filename, stat);
  });
  t.equal(afterStat, undefined, "node:fs's frame calling back");
  const probe = (): string | undefined => callerPackage(RELAY, probe);
  t.equal(await Promise.resolve().then(relay.bind(null, 1, probe)), undefined, "a transparent package's frames, from a promise job");
  const opaque = (): string | undefined => callerPackage(undefined, opaque);
  t.equal(await Promise.resolve().then(relay.bind(null, 1, opaque)), 'relay-like', 'the same package, not transparent, is the caller');
});
