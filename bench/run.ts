import * as fs from 'node:fs';
import * as path from 'node:path';
import { machine, markdownTable, ROOT, type BenchResult } from './lib';
import { runMacro } from './macro';

/**
 * `npm run bench`: the whole suite, one run, written to bench/results.md.
 * BENCH_ROUNDS and BENCH_SECONDS shorten or lengthen the macro runs;
 * BENCH_ONLY=macro|micro picks a part.
 */
type Suite = { name: string; run: () => Promise<BenchResult | BenchResult[]> };

function optional(file: string): Suite[] {
  const full = path.join(__dirname, file);
  if (!fs.existsSync(full)) return [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(full) as { run?: () => Promise<BenchResult | BenchResult[]> };
  return mod.run ? [{ name: file, run: mod.run }] : [];
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  const suites: Suite[] = [];
  if (only === undefined || only === 'macro') {
    suites.push({
      name: 'express',
      run: () =>
        runMacro({
          script: 'bench/apps/express.js',
          routes: [
            { name: 'empty route', path: '/empty' },
            { name: 'spawn route', path: '/spawn?name=world' },
          ],
        }),
    });
  }
  if (only === undefined || only === 'micro') {
    for (const f of ['sql-detector.js', 'detectors-misc.js', 'policy.js', 'micro.js']) suites.push(...optional(f));
  }
  let md = `# Benchmark results\n\nMachine: ${machine()}\n\nRatios are against the bare app in the same run; configurations alternate between rounds.\n\n`;
  for (const s of suites) {
    process.stderr.write(`bench: ${s.name}…\n`);
    const results = await s.run();
    for (const r of Array.isArray(results) ? results : [results]) {
      const section = `## ${r.name}\n\n${markdownTable(r.rows)}${(r.notes ?? []).map((n) => `\n${n}\n`).join('')}\n`;
      process.stdout.write(section);
      md += section;
    }
  }
  const out = path.join(ROOT, 'bench', 'results.md');
  fs.writeFileSync(out, md);
  process.stderr.write(`bench: wrote ${path.relative(process.cwd(), out)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
