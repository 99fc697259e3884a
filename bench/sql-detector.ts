import { analyzeSql, detectSqlInjection } from '../lib/detectors/sql/index';
import type { SqlDialect, SqlResource, TaintInput } from '../lib/types';
import { fmt, machine, markdownTable, nsPerCall, type BenchResult } from './lib';

/**
 * Micro benchmark of the SQL injection detector: µs per call for a realistic
 * query checked against the 25 inputs of a realistic request, 2 of which the
 * app put into the query (an email in a literal, a number after LIMIT).
 * Target: ≤ 3 µs median for that case. Each figure is the median of several
 * rounds of many calls (per-call clocks are too coarse at this scale).
 */

const ITERATIONS = Number(process.env.BENCH_SQL_ITERATIONS ?? 100_000);
const ROUNDS = 15;

function input(source: string, value: string, decoding: string[] = []): TaintInput {
  return { source, value, decoding };
}

/** What the taint layer extracts from one browser request to `POST /api/users/search?…`. */
function requestInputs(email: string, limit: string): TaintInput[] {
  return [
    input('path', '/api/users/search'),
    input('path.0', 'api'),
    input('path.1', 'users'),
    input('path.2', 'search'),
    input('query.limit', limit),
    input('query.sort', 'created_at'),
    input('query.page', '3'),
    input('headers.host', 'app.example.com'),
    input('headers.user-agent', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'),
    input('headers.accept', 'application/json, text/plain, */*'),
    input('headers.accept-language', 'en-GB,en;q=0.9'),
    input('headers.accept-encoding', 'gzip, deflate, br'),
    input('headers.content-type', 'application/json'),
    input('headers.origin', 'https://app.example.com'),
    input('headers.referer', 'https://app.example.com/admin/users?tab=active'),
    input('headers.sec-fetch-mode', 'cors'),
    input('headers.sec-fetch-site', 'same-origin'),
    input('headers.x-request-id', '3f2b9c1e-8d7a-4b6f-9e21-0c5d7a8b9f10'),
    input('cookies.sid', 's%3AQm9iIHNheXMgaGk.4fJ2kLx9'),
    input('cookies.theme', 'dark'),
    input('body.email', email),
    input('body.status', 'active'),
    input('body.team', 'Platform & Tools'),
    input('body.note', 'find everyone who joined this year'),
    input('body.token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl'),
  ];
}

function query(email: string, limit: string): string {
  return (
    'SELECT u.id, u.name, u.email, u.created_at FROM users u JOIN memberships m ON m.user_id = u.id ' +
    `WHERE m.org_id = 42 AND u.email = '${email}' AND u.deleted_at IS NULL ORDER BY u.created_at DESC LIMIT ${limit}`
  );
}

interface Scenario {
  name: string;
  resource: SqlResource;
  inputs: TaintInput[];
  expectFinding: boolean;
}

function scenarios(dialect: SqlDialect): Scenario[] {
  const email = 'alice.smith@example.com';
  const attack = "x' OR '1'='1";
  return [
    {
      name: '25 inputs, 2 in the query (target)',
      resource: { driver: 'bench', dialect, text: query(email, '20') },
      inputs: requestInputs(email, '20'),
      expectFinding: false,
    },
    {
      name: '25 inputs, none in the query',
      resource: { driver: 'bench', dialect, text: query('bob@example.org', '50') },
      inputs: requestInputs(email, '20'),
      expectFinding: false,
    },
    {
      name: '25 inputs, 1 injection',
      resource: { driver: 'bench', dialect, text: query(attack, '20') },
      inputs: requestInputs(attack, '20'),
      expectFinding: true,
    },
  ];
}

export async function run(): Promise<BenchResult> {
  const rows: Array<Record<string, string | number>> = [];
  let sink = 0;
  for (const dialect of ['postgres', 'mysql', 'sqlite'] as const) {
    for (const s of scenarios(dialect)) {
      const found = detectSqlInjection(s.resource, s.inputs) !== undefined;
      if (found !== s.expectFinding) throw new Error(`${dialect} / ${s.name}: expected finding=${s.expectFinding}`);
      const ns = nsPerCall(
        () => {
          if (detectSqlInjection(s.resource, s.inputs) !== undefined) sink++;
        },
        ITERATIONS,
        ROUNDS,
      );
      rows.push({ dialect, case: s.name, 'µs/call (median)': fmt(ns / 1000, 3), 'query chars': s.resource.text.length });
    }
    const text = scenarios(dialect)[0]!.resource.text;
    const ns = nsPerCall(
      () => {
        sink += analyzeSql(text, dialect).multiStatement ? 1 : 0;
      },
      ITERATIONS,
      ROUNDS,
    );
    rows.push({ dialect, case: 'analyzeSql (statement kind)', 'µs/call (median)': fmt(ns / 1000, 3), 'query chars': text.length });
  }
  // Calibration: the cheapest possible look at the query, one charCodeAt pass.
  // On a shared or throttled machine every row scales with it.
  const text = scenarios('postgres')[0]!.resource.text;
  const base = nsPerCall(
    () => {
      for (let i = 0; i < text.length; i++) sink += text.charCodeAt(i);
    },
    ITERATIONS,
    ROUNDS,
  );
  rows.push({ dialect: '—', case: 'calibration: one charCodeAt pass over the query', 'µs/call (median)': fmt(base / 1000, 3), 'query chars': text.length });
  if (sink < 0) rows.push({ dialect: '', case: 'unreachable', 'µs/call (median)': sink, 'query chars': 0 });
  return {
    name: 'SQL injection detector (micro)',
    rows,
    notes: [`Median over ${ROUNDS} rounds of ${ITERATIONS} calls each. Target: ≤ 3 µs for "25 inputs, 2 in the query".`],
  };
}

if (require.main === module) {
  run().then(
    (r) => {
      process.stdout.write(`## ${r.name}\n\nMachine: ${machine()}\n\n${markdownTable(r.rows)}\n${(r.notes ?? []).join('\n')}\n`);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
