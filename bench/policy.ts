import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluate, loadPolicyText, type PolicyVerdict } from '../lib/policy/index';
import { callerPackage } from '../lib/stack';
import type { Policy } from '../lib/policy/policy';
import { captureFrames } from '../lib/stack';
import type { Operation } from '../lib/types';
import { fmt, nsPerCall, type BenchResult, runStandalone } from './lib';

/**
 * Cost of one policy decision on the allow path, as the agent pays it:
 * `evaluate` alone when no rule depends on the calling package, and
 * callerPackage + evaluate when one does. The attributed
 * call comes from a real package file under node_modules, 20 frames deep.
 */

const ITERATIONS = Number(process.env.BENCH_POLICY_ITERATIONS ?? 100_000);
const ROUNDS = 9;
const DEPTH = 20;

const appRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-bench-app-')));
const appFile = path.join(appRoot, 'lib', 'index.js');
fs.mkdirSync(path.dirname(appFile), { recursive: true });
fs.writeFileSync(appFile, '');

const RULES = `
allow:
  fs.read: ["\${APP_ROOT}/**", "/etc/ssl/**"]
  process.spawn:
    - { id: ls, file: ls }
    - { id: grep, file: grep }
    - { id: git-version, file: git, args: ["--version"] }
    - { id: convert, file: convert, args: ["...", "/.*\\\\.png/"] }
  net.connect:
    - { id: loopback, cidr: 127.0.0.0/8 }
    - { id: aws, host: "*.amazonaws.com", port: 443 }
    - { id: stripe, host: api.stripe.com, port: 443, protocol: https }
  sql.query: { kinds: [select, insert, update, delete], multiStatement: false }
  code.eval: [{ via: "vm.*" }]
deny:
  fs.read: ["**/.env", "/etc/shadow"]
  net.connect: [{ id: metadata, cidr: 169.254.169.254 }]
  process.spawn: [{ id: no-rm, file: rm }]
`;

const ops: Array<{ name: string; op: Operation }> = [
  { name: 'net.connect (3rd allow rule)', op: { name: 'net.connect', module: 'https', fn: 'request', resource: { host: 'api.stripe.com', port: 443, protocol: 'https:', address: '54.187.174.169' } } },
  { name: 'process.spawn (direct)', op: { name: 'process.spawn', module: 'child_process', fn: 'spawn', resource: { file: 'git', args: ['--version'], shell: false } } },
  { name: 'sql.query (kind from hook)', op: { name: 'sql.query', module: 'pg', fn: 'query', resource: { driver: 'pg', dialect: 'postgres', text: 'SELECT * FROM users WHERE id = $1', kind: 'select', multiStatement: false } } },
  { name: 'code.eval', op: { name: 'code.eval', module: 'vm', fn: 'runInNewContext', resource: { source: '1+1', via: 'vm.runInNewContext' } } },
  { name: 'fs.read (incl. realpath)', op: { name: 'fs.read', module: 'fs', fn: 'readFileSync', resource: { path: appFile, rawPath: 'lib/index.js' } } },
  { name: 'process.spawn (shell: ls -la | grep -c x)', op: { name: 'process.spawn', module: 'child_process', fn: 'exec', resource: { file: '/bin/sh', args: ['-c', 'ls -la | grep -c x'], shell: true, command: 'ls -la | grep -c x' } } },
];

/** A package under node_modules whose function captures the stack, like a hook called from package code. */
function fakePackage(): { call: (f: () => PolicyVerdict) => PolicyVerdict; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-bench-policy-'));
  const pkg = path.join(dir, 'node_modules', 'bench-pkg');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'bench-pkg', version: '1.0.0' }));
  fs.writeFileSync(path.join(pkg, 'index.js'), 'module.exports = function call(f) { return f(); };\n');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return { call: require(path.join(pkg, 'index.js')) as (f: () => PolicyVerdict) => PolicyVerdict, dir };
}

function deep(n: number, f: () => PolicyVerdict): PolicyVerdict {
  return n === 0 ? f() : deep(n - 1, f);
}

function attributedEvaluate(policy: Policy, op: Operation): PolicyVerdict {
  return evaluate(policy, op, policy.needsPackage(op.name) ? { package: callerPackage(undefined, attributedEvaluate) } : {});
}

function measure(policy: Policy, op: Operation, attribute: boolean, call: (f: () => PolicyVerdict) => PolicyVerdict): { ns: number; v: PolicyVerdict } {
  let last: PolicyVerdict = evaluate(policy, op, {});
  // What the agent does for a package-scoped rule (lib/agent.ts onPolicy): attribute the caller, then evaluate.
  // Bound, so the package's frame calls Palisade's code directly, as when package code calls a hooked API.
  const fromPackage = attributedEvaluate.bind(null, policy, op) as () => PolicyVerdict;
  const fn = attribute ? () => { last = deep(DEPTH, () => call(fromPackage)); } : () => { last = evaluate(policy, op, {}); };
  return { ns: nsPerCall(fn, attribute ? Math.ceil(ITERATIONS / 10) : ITERATIONS, ROUNDS), v: (fn(), last) };
}

export async function run(): Promise<BenchResult> {
  const vars = { APP_ROOT: appRoot };
  const plain = loadPolicyText(`version: 1\nmode: block\n${RULES}packages:\n  "*": { inherit: true }\n`, 'bench-plain.yaml', vars);
  const scoped = loadPolicyText(`version: 1\nmode: block\n${RULES}packages:\n  bench-pkg: { allow: { net.connect: ["api.stripe.com:443"], process.spawn: [git, ls, grep], sql.query: { kinds: [select] }, code.eval: true, fs.read: ["\${APP_ROOT}/**"] } }\n`, 'bench-scoped.yaml', vars);
  const { call, dir } = fakePackage();
  const rows: Array<Record<string, string | number>> = [];
  const last: PolicyVerdict = plain.unrestricted['fs.read'];
  try {
    for (const { name, op } of ops) {
      const a = measure(plain, op, false, call);
      const b = measure(scoped, op, true, call);
      if (a.v.decision !== 'allow' || b.v.decision !== 'allow') throw new Error(`bench case ${name} is not on the allow path: ${a.v.reason} / ${b.v.reason}`);
      if (b.v.scope !== 'package:bench-pkg' && b.v.ruleId?.startsWith('packages.bench-pkg') !== true) {
        throw new Error(`bench case ${name} was not attributed to bench-pkg: ${b.v.ruleId} ${b.v.scope}`);
      }
      rows.push({
        operation: name,
        'evaluate, no package rules (µs)': fmt(a.ns / 1000, 3),
        'capture + attribute + evaluate (µs)': fmt(b.ns / 1000, 3),
      });
    }
    // What the host pays regardless of policy logic, measured in the same run (the machine may be loaded).
    const realpath = fs.realpathSync.native;
    rows.push({ operation: 'reference: fs.realpathSync.native(existing file)', 'evaluate, no package rules (µs)': fmt(nsPerCall(() => realpath(appFile), ITERATIONS, ROUNDS) / 1000, 3), 'capture + attribute + evaluate (µs)': '' });
    rows.push({ operation: `reference: captureFrames() alone, ${DEPTH} frames deep`, 'evaluate, no package rules (µs)': '', 'capture + attribute + evaluate (µs)': fmt(nsPerCall(() => deep(DEPTH, () => { captureFrames(); return last; }), Math.ceil(ITERATIONS / 10), ROUNDS) / 1000, 3) });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(appRoot, { recursive: true, force: true });
  }
  return {
    name: 'Policy decision on the allow path (micro)',
    rows,
    notes: [
      `Median over ${ROUNDS} rounds. Targets: ≤ 1 µs without package rules, ≤ 20 µs with attribution. ` +
        `The attributed call is made from node_modules/bench-pkg, ${DEPTH} frames deep; bench-pkg does not inherit, so its own scope decides. ` +
        'fs rules include one realpath(3) of the path per call; a shell command includes parsing it. ' +
        `Load average during the run: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs — compare rows with the reference rows of the same run.`,
    ],
  };
}

if (require.main === module) runStandalone(run);
