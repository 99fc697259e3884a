import { readFileSync } from 'node:fs';

/**
 * µs per request by file and by function from the profiles that
 * `bench/cpu-profile.sh` records (V8 `.cpuprofile`, or `perf report` text),
 * each configuration against the first. Self time: a function's own
 * samples, with what V8 inlined into it.
 *
 * From `perf script` call stacks (`.perf.stacks`), each sample is charged to
 * the first JS function on its stack instead: "by file" and "by function"
 * then say whose code the time was spent for.
 *
 *   node dist/bench/cpu-profile.js <requests> <top> <function filter regexp> <label=file.cpuprofile|.perf.txt|.perf.stacks>...
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface Profile {
  nodes: Array<{ id: number; callFrame: CallFrame }>;
  samples: number[];
  timeDeltas: number[];
}
interface Summary {
  label: string;
  busy: number;
  byFile: Map<string, number>;
  byFunction: Map<string, number>;
}

/** Where a frame's code lives, short: 'nm:pg', 'node:events', 'dist/lib/agent.js', or V8's own bucket ('(garbage collector)'). */
function fileOf(f: CallFrame): string {
  if (f.url === '') return f.functionName;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url);
  if (pkg !== null) return `nm:${pkg[1]}`;
  // Another build of Palisade (a copy under bench/.tmp) is named as ./dist, so its functions line up with this one's.
  return f.url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '').replace(/^.*?dist\/(lib|hooks)\//, 'dist/$1/');
}

function summarise(label: string, file: string, requests: number): Summary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta.
  for (let i = 0; i < p.samples.length; i++) {
    const f = frames.get(p.samples[i]!)!;
    if (f.functionName === '(idle)') continue;
    const us = (p.timeDeltas[i + 1] ?? 0) / requests;
    busy += us;
    const where = fileOf(f);
    byFile.set(where, (byFile.get(where) ?? 0) + us);
    // Named functions by name and file (lines move between builds); anonymous ones by line.
    const fn = f.functionName !== '' ? `${f.functionName} ${where}` : `(anonymous) ${where}${f.url === '' ? '' : `:${f.lineNumber + 1}`}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  return { label, busy, byFile, byFunction };
}

/**
 * `perf report --sort dso,sym -q -n` lines: `12.69%  3387  node  [.] Builtins_KeyedLoadIC_Megamorphic`.
 * V8's code appears as `[JIT] tid N` with the names of --perf-basic-prof's map: `JS:*addTree /…/sources.js:34:12`
 * (`*` optimised, `^` baseline, `~` interpreted), named here as the V8 profile names them.
 */
function summarisePerf(label: string, file: string, requests: number): Summary {
  const usPerSample = 1e6 / Number(process.env.BENCH_PERF_HZ ?? 4000);
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*[\d.]+%\s+(\d+)\s+(\[JIT\] tid \d+|\S+)\s+\[[^\]]+\]\s+(.*)$/.exec(line);
    if (m === null) continue;
    const us = (Number(m[1]) * usPerSample) / requests;
    busy += us;
    const js = /^JS:[*^~]?(\S*) (\S+?)(?::\d+:\d+)?$/.exec(m[3]!);
    let where: string;
    let fn: string;
    if (m[2]!.startsWith('[JIT]') && js !== null) {
      where = fileOf({ functionName: js[1]!, url: js[2]!, lineNumber: 0 });
      fn = `${js[1] || '(anonymous)'} ${where}`;
    } else {
      // V8's own generated code (regular expressions, stubs) and native code, by DSO.
      where = m[2]!.startsWith('[JIT]') ? '[JIT] other' : m[2]!;
      fn = `${m[3]} ${where}`;
    }
    byFile.set(where, (byFile.get(where) ?? 0) + us);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  return { label, busy, byFile, byFunction };
}

/** `perf script -F ip,sym` output: one sample per blank-line-separated block, innermost frame first. */
function summariseStacks(label: string, file: string, requests: number): Summary {
  const us = 1e6 / Number(process.env.BENCH_PERF_HZ ?? 4000) / requests;
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const block of readFileSync(file, 'utf8').split(/\n\s*\n/)) {
    if (block.trim() === '') continue;
    busy += us;
    let where = '(no JS function on the stack)';
    let fn = where;
    for (const line of block.split('\n')) {
      const js = /\sJS:[*^~]?(\S*) (\S+?)(?::\d+:\d+)?$/.exec(line);
      if (js === null) continue;
      where = fileOf({ functionName: js[1]!, url: js[2]!, lineNumber: 0 });
      fn = `${js[1] || '(anonymous)'} ${where}`;
      break;
    }
    byFile.set(where, (byFile.get(where) ?? 0) + us);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  return { label, busy, byFile, byFunction };
}

function table(rows: Array<[string, number[]]>, labels: readonly string[], first: string): string {
  const out = [`| ${first} | ${labels.join(' | ')} |`, `| --- |${labels.map(() => ' ---: |').join('')}`];
  for (const [name, values] of rows) out.push(`| ${name} | ${values.map((v) => v.toFixed(1)).join(' | ')} |`);
  return out.join('\n');
}

function main(): void {
  const [n, top, filter, ...pairs] = process.argv.slice(2);
  const requests = Number(n);
  const shown = new RegExp(filter ?? 'dist/');
  const runs = pairs.map((pair) => {
    const eq = pair.indexOf('=');
    const file = pair.slice(eq + 1);
    const read = file.endsWith('.perf.txt') ? summarisePerf : file.endsWith('.perf.stacks') ? summariseStacks : summarise;
    return read(pair.slice(0, eq), file, requests);
  });
  const base = runs[0]!;
  const labels = runs.map((r) => r.label);
  const matching = (r: Summary): number => [...r.byFunction].reduce((sum, [k, v]) => (shown.test(k) ? sum + v : sum), 0);
  console.log(
    table(
      [
        ['busy (not idle; perf: on CPU), µs per request', runs.map((r) => r.busy)],
        [`in functions matching /${shown.source}/`, runs.map(matching)],
      ],
      labels,
      'main thread',
    ),
  );
  // Files whose time differs from the first configuration's by ≥ 0.5 µs in some run, largest difference first.
  const files = new Set(runs.flatMap((r) => [...r.byFile.keys()]));
  const diffs = [...files]
    .map((f): [string, number[], number] => {
      const values = runs.map((r) => r.byFile.get(f) ?? 0);
      return [f, values, Math.max(...values.map((v) => Math.abs(v - values[0]!)))];
    })
    .filter((d) => d[2] >= 0.5)
    .sort((a, b) => b[2] - a[2]);
  console.log(`\nBy file, µs per request (those that differ from ${base.label} by ≥ 0.5 µs):\n`);
  console.log(table(diffs.map((d) => [d[0], d[1]]), labels, 'file'));
  const fns = new Set(runs.flatMap((r) => [...r.byFunction.keys()].filter((k) => shown.test(k))));
  const fnRows = [...fns]
    .map((f): [string, number[]] => [f, runs.map((r) => r.byFunction.get(f) ?? 0)])
    .sort((a, b) => Math.max(...b[1]) - Math.max(...a[1]))
    .slice(0, Number(top));
  console.log(`\nFunctions matching /${shown.source}/, self µs per request:\n`);
  console.log(table(fnRows, labels, 'function'));
}

main();
