import * as fs from 'node:fs';
import * as path from 'node:path';
import { start } from '../../lib/index';
import { check } from '../../lib/hooking';
import { readEvents, tmpDir } from './app';

/*
 * Attribution under package scopes, against real sinks: a policy that allows the app an operation and gives a
 * package none, a package file that makes the app's own calls, and a loop that alternates the two callers.
 * Alternating checks that the depth to the caller learned under each wrapper's key never lets one caller's
 * answer stand for the other's.
 */

/** Start Palisade in block mode with `allow` (the policy's allow section, as YAML lines; `rest`, more top-level
 *  sections) and a package in node_modules whose index.js is `index`; `pkgDir` is what to require (after this,
 *  so it is patched). */
export function withPackage(
  pkg: string,
  allow: readonly string[],
  index: readonly string[],
  rest: readonly string[] = [],
): { log: string; pkgDir: string } {
  const dir = tmpDir();
  const policy = path.join(dir, 'policy.yaml');
  fs.writeFileSync(policy, ['version: 1', 'mode: block', 'allow:', ...allow, ...rest, ''].join('\n'));
  const pkgDir = path.join(dir, 'node_modules', pkg);
  fs.mkdirSync(pkgDir, { recursive: true });
  fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: pkg, version: '1.0.0' }));
  fs.writeFileSync(path.join(pkgDir, 'index.js'), [...index, ''].join('\n'));
  const log = path.join(dir, 'events.log');
  start({ mode: 'block', log, policy });
  return { log, pkgDir };
}

/** One entry point: the same call made by the app and by the package. */
export interface Case {
  name: string;
  /** The event's module and fn. */
  module: string;
  fn: string;
  /** The patched function the call enters, where the stack must be read. */
  entry: unknown;
  /** 'blocked' for Palisade's block, else what the call answered (`expected`). */
  app(): Promise<string>;
  pkg(): Promise<string>;
}

interface Tap {
  equal(found: unknown, wanted: unknown, message: string): void;
  ok(value: unknown, message: string): void;
  notOk(value: unknown, message: string): void;
}

/** `run`, with the functions Error.captureStackTrace was anchored at while it ran (synchronously). */
function anchorsOf<T>(run: () => T): [T, unknown[]] {
  const anchors: unknown[] = [];
  const capture = Error.captureStackTrace;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  Error.captureStackTrace = (o: object, anchor?: Function): void => {
    anchors.push(anchor);
    capture(o, anchor);
  };
  try {
    return [run(), anchors];
  } finally {
    Error.captureStackTrace = capture;
  }
}

/**
 * Each case 20 times, app then package: the app's call answers `expected`, the package's is blocked. The
 * stack must be read below the entry's own wrapper and never in check() (attribution alone cannot tell).
 */
export async function alternate(t: Tap, cases: readonly Case[], expected: string, rounds = 20): Promise<void> {
  const read = new Map<Case, unknown[]>(cases.map((c) => [c, []]));
  for (let i = 0; i < rounds; i++) {
    for (const c of cases) {
      const [app, appAnchors] = anchorsOf(() => c.app());
      t.equal(await app, expected, `${c.name}: app ${i}`);
      const [pkg, pkgAnchors] = anchorsOf(() => c.pkg());
      t.equal(await pkg, 'blocked', `${c.name}: package ${i}`);
      read.get(c)!.push(...appAnchors, ...pkgAnchors);
    }
  }
  for (const c of cases) {
    t.ok(read.get(c)!.includes(c.entry), `${c.name}: the stack is read below the wrapper`);
    t.notOk(read.get(c)!.includes(check), `${c.name}: never in check()`);
  }
}

/** Every `operation` event in the log is a block of the package's, and each case's entry point has one. */
export function blocksNamePackage(t: Tap, log: string, operation: string, pkg: string, cases: readonly Case[]): void {
  const events = readEvents(log).filter((e) => e.operation === operation);
  t.ok(events.length > 0, 'the blocks are reported');
  t.ok(
    events.every((e) => e.kind === 'policy_violation' && e.action === 'block' && e.package === pkg && e.scope === `package:${pkg}`),
    "every event is a block decided by the package's scope, none the app's",
  );
  // Each package call sits on a line of its own: the reporter folds repeats of a block from one app line.
  for (const c of cases) t.ok(events.some((e) => e.module === c.module && e.fn === c.fn), `${c.name}: its block is reported`);
}
