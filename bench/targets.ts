import { ALS_FLOOR, BARE, BLOCK_DEFAULT, BLOCK_STRICT, JUDGE_FLOOR, type BenchResult } from './lib';

/**
 * The overhead budget (docs/performance.md, "Summary"), read from one run's own tables, so that whoever runs
 * `npm run bench` on their hardware gets the verdicts beside the figures. A ratio whose rounds fall on both
 * sides of its target is reported as such: its median alone is not a verdict either way. A target whose part
 * did not run (BENCH_ONLY) is left out.
 */

type Rows = BenchResult['rows'];

interface Verdict {
  target: string;
  reading: string;
  verdict: string;
}

interface RatioTarget {
  target: string;
  app: string;
  /** The route's name, or its start (the realistic route's name spells out what it does). */
  route: string;
  config: string;
  min: number;
}

const RATIO_TARGETS: readonly RatioTarget[] = [
  { target: 'express empty route, block + default ≥ 0.95× bare req/s', app: 'express', route: 'empty route', config: BLOCK_DEFAULT.name, min: 0.95 },
  { target: 'realistic express route, block + default ≥ 0.90×', app: 'express', route: 'realistic:', config: BLOCK_DEFAULT.name, min: 0.9 },
  { target: 'realistic express route, block + strict ≥ 0.85×', app: 'express', route: 'realistic:', config: BLOCK_STRICT.name, min: 0.85 },
];
const SQL_MAX_US = 3;
const OUTSIDE_MAX_US = 0.2;
const RSS_MAX_MB = 15;
/** Heap growth (after GC) from the first checkpoint to the last beyond bare's that still reads as flat. */
const HEAP_NOISE_MB = 1;

/** The configurations that are not Palisade: what its own cost is read against. */
const NOT_PALISADE = new Set([BARE.name, ALS_FLOOR.name, JUDGE_FLOOR.name]);

/** A table cell as a number: NaN for '', '–', 'n/a' or text. */
function num(cell: string | number | undefined): number {
  if (typeof cell === 'number') return cell;
  if (cell === undefined || cell.trim() === '') return NaN;
  return Number(cell);
}

function section(results: readonly BenchResult[], start: string): Rows | undefined {
  return results.find((r) => r.name.startsWith(start))?.rows;
}

function ratioVerdict(t: RatioTarget, rows: Rows): Verdict | undefined {
  const row = rows.find((r) => r.app === t.app && String(r.route).startsWith(t.route) && r.config === t.config);
  if (row === undefined) return undefined;
  const ratio = num(row['ratio to bare']);
  if (Number.isNaN(ratio)) return undefined;
  const spread = String(row['ratio per round, min-max'] ?? '').match(/^([\d.]+)-([\d.]+)$/);
  const lo = spread === null ? NaN : Number(spread[1]);
  const hi = spread === null ? NaN : Number(spread[2]);
  const reading = `${ratio.toFixed(2)}×${spread === null ? '' : ` (rounds ${spread[1]}-${spread[2]}×)`}, main thread ${String(row['main ratio'] ?? '–')}× bare's`;
  let verdict: string;
  if (ratio >= t.min) verdict = lo < t.min ? 'met as read; some rounds below' : 'met';
  else verdict = hi >= t.min ? 'not met as read; some rounds above' : 'not met';
  return { target: t.target, reading, verdict };
}

function rssVerdict(rows: Rows): Verdict | undefined {
  let worst: { mb: number; where: string } | undefined;
  for (const r of rows) {
    if (NOT_PALISADE.has(String(r.config))) continue;
    const mb = num(r['RSS Δ mean during run MB']);
    if (Number.isNaN(mb)) continue;
    if (worst === undefined || mb > worst.mb) worst = { mb, where: `${String(r.app)}, ${String(r.route).split(':')[0]}, ${String(r.config)}` };
  }
  if (worst === undefined) return undefined;
  return {
    target: `RSS overhead ≤ ${RSS_MAX_MB} MB (mean through the run)`,
    reading: `at most +${worst.mb.toFixed(1)} MB (${worst.where})`,
    verdict: worst.mb <= RSS_MAX_MB ? 'met' : 'not met',
  };
}

function sqlVerdict(rows: Rows): Verdict | undefined {
  const target = rows.filter((r) => String(r.case).endsWith('(target)'));
  const us = target.map((r) => num(r['µs/call wall (median)'])).filter((x) => !Number.isNaN(x));
  if (us.length === 0) return undefined;
  const worst = Math.max(...us);
  return {
    target: `SQL check with 25 inputs ≤ ${SQL_MAX_US} µs median`,
    reading: `${worst.toFixed(2)} µs (the slowest dialect)`,
    verdict: worst <= SQL_MAX_US ? 'met' : 'not met',
  };
}

function outsideVerdict(rows: Rows): Verdict | undefined {
  const column = 'outside: wrapper vs original, same process, µs';
  const added = rows.map((r) => ({ op: String(r.operation), us: num(r[column]) })).filter((x) => !Number.isNaN(x.us));
  if (added.length === 0) return undefined;
  const worst = added.reduce((a, b) => (b.us > a.us ? b : a));
  return {
    target: `sink call outside a request, no rule, ≤ ${OUTSIDE_MAX_US} µs added`,
    reading: `at most +${worst.us.toFixed(2)} µs (${worst.op}; the wrapper against its original in one process)`,
    verdict: worst.us <= OUTSIDE_MAX_US ? 'met' : 'not met',
  };
}

function memoryVerdict(rows: Rows): Verdict | undefined {
  const last = (config: string): number => {
    const mine = rows.filter((r) => r.config === config);
    return mine.length < 2 ? NaN : num(mine[mine.length - 1]!['heap Δ since first checkpoint MB']);
  };
  const bare = last(BARE.name);
  const palisade = last(BLOCK_DEFAULT.name);
  if (Number.isNaN(bare) || Number.isNaN(palisade)) return undefined;
  const requests = String(rows.filter((r) => r.config === BLOCK_DEFAULT.name).at(-1)!.requests);
  return {
    target: 'memory flat over a long run (heap after GC, first checkpoint to last)',
    reading: `block + default ${palisade >= 0 ? '+' : ''}${palisade.toFixed(2)} MB, bare ${bare >= 0 ? '+' : ''}${bare.toFixed(2)} MB, by ${requests} requests`,
    verdict: palisade - bare <= HEAP_NOISE_MB ? 'met' : 'not met',
  };
}

/** The targets this run can read, as a section of bench/results.md; undefined when it can read none. */
export function targetsSection(results: readonly BenchResult[]): BenchResult | undefined {
  const verdicts: Verdict[] = [];
  const push = (v: Verdict | undefined): void => {
    if (v !== undefined) verdicts.push(v);
  };
  const macro = section(results, 'HTTP throughput');
  if (macro !== undefined) for (const t of RATIO_TARGETS) push(ratioVerdict(t, macro));
  const sql = section(results, 'SQL injection detector');
  if (sql !== undefined) push(sqlVerdict(sql));
  const micro = section(results, 'Sink calls: added cost');
  if (micro !== undefined) push(outsideVerdict(micro));
  if (macro !== undefined) push(rssVerdict(macro));
  const memory = section(results, 'Memory over');
  if (memory !== undefined) push(memoryVerdict(memory));
  if (verdicts.length === 0) return undefined;
  return {
    name: 'Targets, read from this run',
    rows: verdicts.map((v) => ({ target: v.target, 'this run': v.reading, verdict: v.verdict })),
    notes: [
      'Each figure is from a table above, against bare in the same run. "as read": the median meets (or misses) the target ' +
        'but single rounds fall on its other side, so another run may read the other way; read several runs before a verdict ' +
        '(docs/performance.md, "Noise"). Flat: the heap after GC grew by at most ' +
        `${HEAP_NOISE_MB} MB more than bare's between the first checkpoint and the last.`,
    ],
  };
}
