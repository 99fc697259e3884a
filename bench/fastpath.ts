import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CALLS, OPS } from './fastpath-child';
import { fmt, median, ROOT, runStandalone, type BenchResult } from './lib';

/**
 * The fast path by instructions: what a sink call outside a request, with no
 * rule for it, costs through Palisade's wrapper, counted by callgrind in the
 * main thread. Timings of a fraction of a microsecond swing by more than that
 * between VMs and between runs on one (docs/performance.md); instruction
 * counts do not. Needs valgrind; skipped with a note without it.
 * BENCH_FASTPATH_RUNS runs per function (default 2); BENCH_FASTPATH_SCALE
 * scales the calls counted per run; BENCH_FASTPATH_OPS narrows the operations.
 */

interface Count {
  op: (typeof OPS)[number];
  which: 'original' | 'wrapped';
  perCall: number;
}

function hasValgrind(): boolean {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * V8 optimises on the main thread during the warm-up rather than on a background thread: with two runs
 * side by side, a background compile could land after the counters were zeroed, and one run in three counted
 * the wrapper unoptimised (~4 000 instructions more a call).
 */
const NODE_FLAGS = ['--no-concurrent-recompilation'];

/** Runs under way: when one fails, the rest of its batch is stopped too. */
const live = new Set<ChildProcess>();

function countOne(op: (typeof OPS)[number], which: 'original' | 'wrapped', n: number, work: string): Promise<Count> {
  const out = path.join(work, 'run.cg');
  const fifo = path.join(work, 'commands');
  execFileSync('mkfifo', [fifo]);
  const args = ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${out}`, process.execPath, ...NODE_FLAGS, path.join(ROOT, 'dist', 'bench', 'fastpath-child.js'), op, which, String(n), fifo];
  return new Promise((resolve, reject) => {
    // Read-write, which Linux opens at once (write-only would wait for the child to open its end): the commands
    // sit in the pipe until the child reads them, and the child sees end-of-file if this process goes away.
    const commands = fs.openSync(fifo, 'r+');
    const child = spawn('valgrind', args, { cwd: ROOT, env: { ...process.env, PALISADE_POLICY: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.setEncoding('utf8');
    // A failure here must end the child too: it waits on the fifo for the next command.
    const fail = (err: unknown): void => {
      child.kill('SIGTERM');
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const control = (flag: '-z' | '-d', next: string): void => {
      try {
        execFileSync('callgrind_control', [flag, String(child.pid)], { stdio: 'ignore' });
        fs.writeSync(commands, `${next}\n`);
      } catch (err) {
        fail(err);
      }
    };
    child.stdout.on('data', (line: string) => {
      if (line.includes('ready')) control('-z', 'go');
      if (line.includes('done')) control('-d', 'end');
    });
    child.on('exit', (code) => {
      live.delete(child);
      fs.closeSync(commands);
      // The dump after zeroing is numbered .1; -01 is the main thread.
      const file = `${out}.1-01`;
      if (code !== 0 || !fs.existsSync(file)) return reject(new Error(`fastpath-child ${op} ${which} exited ${code}\n${stderr.slice(-2000)}`));
      const m = /^summary: (\d+)/m.exec(fs.readFileSync(file, 'utf8'));
      if (m === null) return reject(new Error(`no summary in ${file}`));
      resolve({ op, which, perCall: Number(m[1]) / n });
    });
  });
}

export async function run(): Promise<BenchResult> {
  const name = 'Fast path: instructions per sink call outside a request, no rule (callgrind, main thread)';
  if (!hasValgrind()) return { name, rows: [], notes: ['skipped: valgrind is not installed'] };
  const scale = Number(process.env.BENCH_FASTPATH_SCALE ?? 1);
  const runs = Number(process.env.BENCH_FASTPATH_RUNS ?? 2);
  // BENCH_FASTPATH_OPS=statSync,readFile keeps the operations whose names hold one of the words.
  const pick = process.env.BENCH_FASTPATH_OPS?.split(',');
  const ops = OPS.filter((op) => pick === undefined || pick.some((w) => op.includes(w)));
  if (ops.length === 0) throw new Error(`BENCH_FASTPATH_OPS=${pick?.join(',')} names none of: ${OPS.join(', ')}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-fastpath-cg-'));
  const jobs: Array<[(typeof OPS)[number], 'original' | 'wrapped']> = [];
  for (let r = 0; r < runs; r++) for (const op of ops) jobs.push([op, 'original'], [op, 'wrapped']);
  const counts: Count[] = [];
  try {
    // Two at a time: callgrind runs one thread at a time, and the sync calls' counts do not depend on timing (the
    // awaited call's moves by ~±1 k with it: bench/fastpath-child.ts).
    for (let i = 0; i < jobs.length; i += 2) {
      const batch = jobs.slice(i, i + 2).map(([op, which]) => countOne(op, which, Math.round(CALLS[op] * scale), fs.mkdtempSync(path.join(work, 'r'))));
      counts.push(...(await Promise.all(batch)));
    }
  } finally {
    for (const c of live) c.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
  }
  const rows = ops.map((op) => {
    const all = (which: 'original' | 'wrapped'): number[] => counts.filter((c) => c.op === op && c.which === which).map((c) => c.perCall);
    const spread = (xs: number[]): string => `${fmt(median(xs), 0)} (${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)})`;
    const o = all('original');
    const w = all('wrapped');
    return {
      operation: op,
      'original: instructions a call, median (range)': spread(o),
      'wrapped: instructions a call, median (range)': spread(w),
      'added (median)': fmt(median(w) - median(o), 0),
    };
  });
  const counted = ops.map((op) => Math.round(CALLS[op] * scale));
  const calls = [Math.min(...counted), Math.max(...counted)].map((c) => c.toLocaleString('en-GB').replace(/,/g, ' '));
  const notes = [
    `${runs} runs per function; in each, ${calls.join(' to ')} calls counted after 20 000 warm-up calls (the awaited call's ` +
      'count holds the event loop\'s turns between calls too), the main thread waiting in a ' +
      'blocking read while the counters are zeroed and dumped, and V8 optimising on the main thread (so not after the zeroing); ' +
      'both in one kind of process ' +
      '(Palisade started, block, no policy), calling the wrapper or the original taken before patching. ' +
      'The path of one call: the wrapper asks whether the operation is judged here (an AsyncLocalStorage read where it is judged ' +
      'in requests) and calls the original. Most processors run 3–6 instructions a nanosecond, so 600 instructions are about ' +
      '0.1–0.2 µs. Not readFileSync: Node opens the file through the public fs.openSync, which is wrapped too, so ' +
        'its "original" is not bare (bench/fastpath-child.ts).',
  ];
  return { name, rows, notes };
}

if (require.main === module) runStandalone(run);
