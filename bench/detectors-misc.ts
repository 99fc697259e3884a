import * as path from 'node:path';
import { detectCodeInjection } from '../lib/detectors/code';
import { classifyAddress } from '../lib/detectors/ip';
import { detectPathTraversal } from '../lib/detectors/path';
import { detectSsrf } from '../lib/detectors/ssrf';
import type { TaintInput } from '../lib/types';
import { fmt, nsPerCall, type BenchResult, runStandalone, benchInput, requestHeaders } from './lib';

/**
 * Micro benchmark of the path-traversal, SSRF (classifier and detector) and
 * code-injection detectors: µs per call against the 25 inputs of a realistic
 * request, one of which (`query.x`) the app put into the operation. Each
 * figure is the median of several rounds of many calls.
 */

const ITERATIONS = Number(process.env.BENCH_MISC_ITERATIONS ?? 5_000);
const ROUNDS = 7;

const input = benchInput;

/** What the taint layer extracts from one browser request, plus the value under test as `query.x`. */
function requestInputs(x: string): TaintInput[] {
  return [
    input('path', '/api/files/view'),
    input('path.0', 'api'),
    input('path.1', 'files'),
    input('path.2', 'view'),
    input('query.page', '3'),
    input('query.sort', 'created_at'),
    input('query.lang', 'en'),
    ...requestHeaders('https://app.example.com/admin/files?tab=recent'),
    input('cookies.sid', 's%3AqY0mJ1n8oWc2Vf9d.K3x1yq8aXvLr0pZ2mN5tB7uC9wE4fG6hJ8kL0oP2rS4'),
    input('cookies.theme', 'dark'),
    input('body.title', 'Quarterly report'),
    input('body.tags', 'finance'),
    input('body.notes', "Please review by Friday — it's urgent"),
    input('body.owner.email', 'alice@example.com'),
    input('query.x', x),
  ];
}

const PUBLIC = '/srv/app/public';

function pathResource(x: string): { rawPath: string; path: string } {
  const raw = path.join(PUBLIC, x);
  return { rawPath: raw, path: path.resolve(raw) };
}

const COMPILED_TEMPLATE = [
  'var __output = "";',
  'function __append(s) { if (s !== undefined && s !== null) __output += s; }',
  'with (locals || {}) {',
  '  __append("<h1>");',
  '  __append(escapeFn(user.name));',
  '  __append("</h1><ul>");',
  '  for (var i = 0; i < items.length; i++) { __append("<li>" + escapeFn(items[i].title) + "</li>"); }',
  '  __append("</ul>");',
  '}',
  'return __output;',
].join('\n');

interface Case {
  detector: string;
  case: string;
  fn: () => unknown;
}

function cases(): Case[] {
  const out: Case[] = [];
  const pathCase = (name: string, x: string): void => {
    const r = pathResource(x);
    const inputs = requestInputs(x);
    out.push({ detector: 'path', case: name, fn: () => detectPathTraversal(r, inputs) });
  };
  pathCase('report.txt (benign)', 'report.txt');
  pathCase('a/b/c.txt (benign)', 'docs/2024/summary.pdf');
  pathCase('../../../../etc/passwd (attack)', '../../../../etc/passwd');
  pathCase('..%2f..%2fetc%2fpasswd (attack)', '..%2f..%2fetc%2fpasswd');
  {
    const r = { rawPath: '/srv/app/views/index.html', path: '/srv/app/views/index.html' };
    const inputs = requestInputs('42');
    out.push({ detector: 'path', case: 'no input in path (allow path)', fn: () => detectPathTraversal(r, inputs) });
  }

  for (const a of ['93.184.216.34', '127.0.0.1', '2130706433', '[::ffff:127.0.0.1]', 'fd00:ec2::254', 'example.com']) {
    out.push({ detector: 'ip', case: `classifyAddress(${a})`, fn: () => classifyAddress(a) });
  }
  const ssrfCase = (name: string, url: string, address: string, x: string): void => {
    const u = new URL(url);
    const r = { url, host: u.hostname, address };
    const inputs = requestInputs(x);
    out.push({ detector: 'ssrf', case: name, fn: () => detectSsrf(r, inputs) });
  };
  ssrfCase('public host (allow path)', 'https://api.stripe.com/v1/charges', '54.187.174.169', 'ch_123');
  ssrfCase('internal host, input in path', 'http://10.0.0.5:8080/api/users/42', '10.0.0.5', '42');
  ssrfCase('input is the URL, loopback (attack)', 'http://127.0.0.1:6379/', '127.0.0.1', 'http://127.0.0.1:6379/');
  ssrfCase('decimal spelling, loopback (attack)', 'http://2130706433/', '127.0.0.1', 'http://2130706433/');

  const codeCase = (name: string, source: string, x: string): void => {
    const r = { source, via: 'Function' };
    const inputs = requestInputs(x);
    out.push({ detector: 'code', case: name, fn: () => detectCodeInjection(r, inputs) });
  };
  codeCase("'return ' + '1+2' (benign)", 'return 1+2', '1+2');
  codeCase("'return ' + 'Math.max(3, 4)' (benign)", 'return Math.max(3, 4)', 'Math.max(3, 4)');
  codeCase("string literal ← O'Brien (benign)", 'return "O\'Brien";', "O'Brien");
  codeCase("'return ' + require(...) (attack)", "return 1;require('child_process').execSync('id')", "1;require('child_process').execSync('id')");
  codeCase('compiled template, coinciding input', COMPILED_TEMPLATE, 'escapeFn(user.name)');
  codeCase('compiled template, no overlap (allow path)', COMPILED_TEMPLATE, 'Quarterly');
  return out;
}

export async function run(): Promise<BenchResult> {
  const rows: Array<Record<string, string | number>> = [];
  let sink = 0;
  for (const c of cases()) {
    const ns = nsPerCall(() => {
      if (c.fn() !== undefined) sink++;
    }, ITERATIONS, ROUNDS);
    rows.push({ detector: c.detector, case: c.case, 'µs/call (median)': fmt(ns / 1000, 3) });
  }
  if (sink < 0) rows.push({ detector: '', case: 'unreachable', 'µs/call (median)': sink });
  return {
    name: 'Path, SSRF and code detectors (micro)',
    rows,
    notes: [`Median over ${ROUNDS} rounds of ${ITERATIONS} calls each; every detector call sees the 25 inputs of one request.`],
  };
}

if (require.main === module) runStandalone(run);
