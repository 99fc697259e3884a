import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem, PolicyError, type PolicyProblem } from '../policy/errors';
import { lintPolicy, type LintProblem } from '../policy/lint';
import { findPolicyFile, loadPolicyFile } from '../policy/load';

export const CHECK_HELP = `Usage: palisade check [policy...] [--json] [--strict]

Validates a policy against the schema and lints it.
  policy      policy file(s); default: $PALISADE_POLICY, else ./palisade.yaml|yml|json
  --json      machine-readable output
  --strict    treat warnings as errors (exit 1)
  --app-root DIR   value of \${APP_ROOT} (default: the working directory)

Exit codes: 0 valid (warnings allowed), 1 lint errors, 2 unreadable, not YAML/JSON, or invalid against the schema.
Output: one problem per line, file:line:column: severity: field: message (hint)`;

interface FileResult {
  file: string;
  status: 'ok' | 'lint-errors' | 'invalid';
  errors: number;
  warnings: number;
  problems: Array<LintProblem | (PolicyProblem & { severity: 'error'; code: string; message: string })>;
}

function checkFile(file: string, strict: boolean, vars: Record<string, string> | undefined): FileResult {
  try {
    const policy = loadPolicyFile(file, vars);
    const problems = lintPolicy(policy);
    const errors = problems.filter((p) => p.severity === 'error' || strict).length;
    return { file, status: errors > 0 ? 'lint-errors' : 'ok', errors, warnings: problems.length - errors, problems };
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    const problems = e.errors.map((p) => ({ ...p, severity: 'error' as const, code: 'invalid', message: p.problem }));
    return { file, status: 'invalid', errors: problems.length, warnings: 0, problems };
  }
}

export function runCheck(argv: string[], out: (s: string) => void): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, strict: { type: 'boolean' }, 'app-root': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    out(CHECK_HELP);
    return 0;
  }
  const files = positionals.length > 0 ? positionals : [findPolicyFile()].filter((f): f is string => f !== undefined);
  if (files.length === 0) {
    const msg = 'no policy file: pass one, set PALISADE_POLICY, or create ./palisade.yaml';
    out(values.json ? JSON.stringify({ files: [], exitCode: 2, error: msg }) : `palisade check: ${msg}`);
    return 2;
  }
  const vars = values['app-root'] !== undefined ? { APP_ROOT: path.resolve(values['app-root']) } : undefined;
  const results = files.map((f) => checkFile(f, values.strict === true, vars));
  const code = Math.max(...results.map((r) => (r.status === 'invalid' ? 2 : r.status === 'lint-errors' ? 1 : 0)));
  if (values.json) {
    out(JSON.stringify({ files: results, exitCode: code }, null, 2));
    return code;
  }
  for (const r of results) {
    for (const p of r.problems) {
      const sev = values.strict === true ? 'error' : p.severity;
      const text = 'problem' in p ? p.problem : p.message;
      out(formatProblem({ file: p.file, line: p.line, column: p.column, field: p.field, problem: text, ...(p.hint !== undefined ? { hint: p.hint } : {}) }, sev));
    }
    const summary = r.status === 'invalid' ? 'invalid policy' : `${r.errors} error${r.errors === 1 ? '' : 's'}, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}`;
    out(`${r.file}: ${r.status === 'ok' && r.problems.length === 0 ? 'ok' : summary}`);
  }
  return code;
}
