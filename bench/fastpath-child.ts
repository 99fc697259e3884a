/**
 * One run of the fast-path instruction count, under callgrind:
 * `valgrind --tool=callgrind … node dist/bench/fastpath-child.js <op> original|wrapped <n> <fifo>`.
 * Palisade is started (block, no policy) in both modes, so the process is
 * the same and only the function called differs: the sink's wrapper, or the
 * original taken before Palisade patched it. Talks to bench/fastpath.ts:
 * prints "ready" after the warm-up (the driver zeroes the counters), reads
 * "go" from the fifo, makes the n calls, prints "done" (the driver dumps the
 * counters) and reads "end". It waits in a blocking read rather than in the
 * event loop, so no work of V8's or Node's runs on the main thread while the
 * driver zeroes and dumps: the counted window holds the n calls alone (and,
 * for an awaited call, the event loop's turns that complete each one).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const OPS = [
  'fs.existsSync (missing file)',
  'fs.statSync (4 KB file)',
  'await fs.promises.readFile (4 KB file)',
  "path.join(dir, 'img/logo.png')",
  "new Function('a', 'return a + 1')",
] as const;

/**
 * Calls counted per run: about 150 M instructions each, a few seconds under callgrind (the awaited call's ~3 G,
 * about a minute). Its ~100 k instructions a call are mostly Node's promises, buffers and event loop, whose work
 * also depends on when the thread pool's reads complete, so its count moves with timing as the sync calls' does
 * not: the wrapper against the original read −1.5 k to +0.9 k with 6 000 calls counted, −1.1 k and +0.2 k with
 * 30 000 (session 30).
 */
export const CALLS: Record<(typeof OPS)[number], number> = {
  'fs.existsSync (missing file)': 60_000,
  'fs.statSync (4 KB file)': 40_000,
  'await fs.promises.readFile (4 KB file)': 30_000,
  "path.join(dir, 'img/logo.png')": 40_000,
  "new Function('a', 'return a + 1')": 30_000,
};

function main(): void {
  const [op, which, nArg, fifo] = process.argv.slice(2);
  const n = Number(nArg);
  if (!OPS.includes(op as (typeof OPS)[number]) || !(n > 0) || (which !== 'wrapped' && which !== 'original') || fifo === undefined) {
    throw new Error(`usage: fastpath-child.js <${OPS.join('|')}> original|wrapped <n> <fifo>`);
  }
  const originals = { existsSync: fs.existsSync, statSync: fs.statSync, readFile: fs.promises.readFile, join: path.join, Function: Function };
  // The driver's directory for this run (it holds the fifo): the driver removes it, even after a killed run.
  const dir = path.dirname(fifo);
  const file = path.join(dir, 'data.txt');
  fs.writeFileSync(file, 'x'.repeat(4096));
  const missing = path.join(dir, 'missing.txt');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const palisade = require('../lib/index') as typeof import('../lib/index');
  palisade.start({ mode: 'block', log: path.join(dir, 'events.log') });
  const wrapped = which === 'wrapped';
  const calls: Record<(typeof OPS)[number], () => unknown> = {
    'fs.existsSync (missing file)': wrapped ? () => fs.existsSync(missing) : () => originals.existsSync(missing),
    'fs.statSync (4 KB file)': wrapped ? () => fs.statSync(file) : () => originals.statSync(file),
    'await fs.promises.readFile (4 KB file)': wrapped ? () => fs.promises.readFile(file) : () => originals.readFile(file),
    "path.join(dir, 'img/logo.png')": wrapped ? () => path.join(dir, 'img/logo.png') : () => originals.join(dir, 'img/logo.png'),
    "new Function('a', 'return a + 1')": wrapped ? () => new Function('a', 'return a + 1') : () => new originals.Function('a', 'return a + 1'),
  };
  const call = calls[op as (typeof OPS)[number]];
  const commands = fs.openSync(fifo, 'r');
  const buf = Buffer.alloc(16);
  const read = (): string => buf.toString('utf8', 0, fs.readSync(commands, buf));
  if (op.startsWith('await ')) {
    void countAwaited(call as () => Promise<unknown>, n, read, () => fs.closeSync(commands));
    return;
  }
  // The sync calls' loops sit in this function, as they did before the awaited call came: on Node 24 the fast
  // path of statSync read +162 instructions here and +544 to +565 with the loop in a closure of its own, since
  // what V8 inlines into the caller moves with the caller (docs/performance-history.md, "Session 30").
  // Enough calls for V8 to optimise the loop and what it calls before counting starts.
  for (let i = 0; i < 20_000; i++) call();
  process.stdout.write('ready\n');
  if (!read().includes('go')) throw new Error('fastpath-child: expected "go"');
  for (let i = 0; i < n; i++) call();
  process.stdout.write('done\n');
  read();
  fs.closeSync(commands);
}

/** As main's loops, each call awaited. */
async function countAwaited(call: () => Promise<unknown>, n: number, read: () => string, close: () => void): Promise<void> {
  for (let i = 0; i < 20_000; i++) await call();
  process.stdout.write('ready\n');
  if (!read().includes('go')) throw new Error('fastpath-child: expected "go"');
  for (let i = 0; i < n; i++) await call();
  process.stdout.write('done\n');
  read();
  close();
}

if (require.main === module) main();
