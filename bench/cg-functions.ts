import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Self instructions per request by function, from the callgrind files that
 * `PROFILE_DIR=… bench/instructions.sh` keeps. Callgrind cannot name code
 * that V8 generated at run time (it shows `0x…`); the app ran with
 * `--perf-basic-prof`, whose map gives each code object's address range and
 * JS name (`*` optimised, `^` baseline, `~` interpreted), so those addresses
 * are named here. Functions that V8 inlined are counted in their caller.
 *
 *   node dist/bench/cg-functions.js <callgrind file> <perf map> <requests> [top=40] [filter regexp]
 *   node dist/bench/cg-functions.js /tmp/prof/default.cg.1-01 /tmp/prof/default.map 1000 40 'dist/(lib|hooks)'
 *
 * With --edges, the calls instead: caller → callee, the callee's inclusive instructions and the calls per
 * request, for callers matching the regexp. Where a function's own count is small but its calls reach V8's
 * inline-cache misses or builtins, this is where it shows (session 32: a `req.headers` read, 3.6 k):
 *
 *   node dist/bench/cg-functions.js --edges /tmp/prof/default.cg.1-01 /tmp/prof/default.map 2000 40 'main/dist/'
 */

interface CodeRange {
  start: number;
  end: number;
  name: string;
}

function readMap(file: string): CodeRange[] {
  const ranges: CodeRange[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m) ranges.push({ start: parseInt(m[1]!, 16), end: parseInt(m[1]!, 16) + parseInt(m[2]!, 16), name: m[3]! });
  }
  return ranges.sort((a, b) => a.start - b.start);
}

/** The code object holding `addr` (a later object at a reused address wins, as it was compiled later). */
function nameAt(ranges: readonly CodeRange[], addr: number): string | undefined {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid]!.start <= addr) lo = mid + 1;
    else hi = mid - 1;
  }
  for (let i = hi; i >= 0 && i > hi - 50; i--) if (ranges[i]!.start <= addr && addr < ranges[i]!.end) return ranges[i]!.name;
  return undefined;
}

/** A name of the callgrind file (`0x…` for JIT code) as the perf map names it, without its line and column. */
function named(ranges: readonly CodeRange[], fn: string): string {
  const jit = /^(?:\?\?\?:)?0x([0-9a-f]+)/.exec(fn);
  return (jit ? (nameAt(ranges, parseInt(jit[1]!, 16)) ?? fn) : fn).replace(/:\d+:\d+$/, '');
}

/**
 * Call edges from the callgrind file itself: `fn=` opens a caller, `cfn=` names a callee, `calls=<count> …` is
 * followed by a line whose second number is the call's inclusive cost. Names are compressed (`(id) name` once,
 * `(id)` after), for fn and cfn alike.
 */
function edges(cg: string, ranges: readonly CodeRange[], n: number, top: number, re: RegExp | undefined): void {
  const names = new Map<string, string>();
  const expand = (s: string): string => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(s.trim());
    if (!m) return s.trim();
    if (m[2] !== undefined) names.set(m[1]!, m[2]);
    return names.get(m[1]!) ?? s.trim();
  };
  const sum = new Map<string, { ir: number; calls: number }>();
  let caller = '';
  let callee = '';
  let calls = -1;
  for (const line of readFileSync(cg, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) caller = named(ranges, expand(line.slice(3)));
    else if (line.startsWith('cfn=')) callee = named(ranges, expand(line.slice(4)));
    else if (line.startsWith('calls=')) calls = Number(line.slice(6).split(' ')[0]);
    else if (calls >= 0) {
      const ir = Number(line.split(' ')[1]);
      if ((re === undefined || re.test(caller)) && Number.isFinite(ir)) {
        const key = `${caller} → ${callee}`;
        const e = sum.get(key) ?? { ir: 0, calls: 0 };
        e.ir += ir;
        e.calls += calls;
        sum.set(key, e);
      }
      calls = -1;
    }
  }
  const rows = [...sum].sort((a, b) => b[1].ir - a[1].ir).slice(0, top);
  for (const [key, e] of rows) console.log(`${String(Math.round(e.ir / n)).padStart(9)}  ${(e.calls / n).toFixed(2).padStart(7)} calls  ${key}`);
}

function main(): void {
  const argv = process.argv.slice(2);
  const byEdge = argv[0] === '--edges';
  const [cg, map, requests, top = '40', filter] = byEdge ? argv.slice(1) : argv;
  if (cg === undefined || map === undefined || requests === undefined) {
    console.error('usage: cg-functions [--edges] <callgrind file> <perf map> <requests> [top] [filter regexp]');
    process.exit(2);
  }
  const ranges = readMap(map);
  if (byEdge) {
    edges(cg, ranges, Number(requests), Number(top), filter === undefined ? undefined : new RegExp(filter));
    return;
  }
  const out = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', cg], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const self = new Map<string, number>();
  let total = 0;
  for (const line of out.split('\n')) {
    const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!m) continue;
    const ir = Number(m[1]!.replace(/,/g, ''));
    let fn = m[2]!;
    if (fn.includes('PROGRAM TOTALS')) {
      total = ir;
      continue;
    }
    fn = named(ranges, fn);
    self.set(fn, (self.get(fn) ?? 0) + ir);
  }
  const n = Number(requests);
  const re = filter === undefined ? undefined : new RegExp(filter);
  console.log(`total ${Math.round(total / n)} instructions per request`);
  // Zeroing the counters mid-run leaves the frames then on the stack (main, the event loop) holding the
  // thread's whole count as if it were their own: drop those rows.
  const rows = [...self]
    .filter(([fn, ir]) => ir < total && (re === undefined || re.test(fn)))
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(top));
  for (const [fn, ir] of rows) console.log(`${String(Math.round(ir / n)).padStart(9)}  ${fn}`);
}

main();
