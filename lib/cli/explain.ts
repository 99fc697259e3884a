import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Mode, Operation, OperationName, SqlDialect } from '../types';
import { PolicyError } from '../policy/errors';
import { evaluate } from '../policy/evaluate';
import { findPolicyFile, loadPolicyFile } from '../policy/load';
import { effectiveMode, parseMode } from '../policy/mode';
import type { EvalContext, PolicyVerdict } from '../policy/types';
import { UNKNOWN_CALLER } from '../stack';

export const EXPLAIN_HELP = `Usage:
  palisade explain [--policy P] [options] <operation> <resource...>
  palisade explain [--policy P] --event '<event json line>'

Shows every rule considered for one operation, whether it matched and why,
and the final decision and mode.

Operations and resources:
  fs.read <path>            fs.write <path>
  process.spawn <file> [args...]        (options go before the operation: the rest is argv)
  process.spawn --shell "<command line>"
  net.connect <url | host[:port]> [--address IP]
  sql.query "<sql text>" [--dialect postgres|mysql|sqlite] [--driver pg]
  code.eval "<source>" [--via Function]

Options:
  --policy P         policy file (default: $PALISADE_POLICY, else ./palisade.yaml)
  --package NAME     the call is attributed to this npm package (default: application code;
                     "(unknown)": a sink run straight from a Node task queue, as events name it)
  --route "GET /x"   the request's method and route template
  --path /x/1        the request's concrete path
  --cwd DIR          working directory for relative paths (default: .)
  --app-root DIR     value of \${APP_ROOT} (default: the working directory)
  --env NAME         (process.spawn) an environment variable the spawn sets; repeatable
  --event JSON       explain a logged event line (operation, resource, package, request)
  --json             machine-readable output

Exit codes: 0 allowed, 1 denied, 2 usage error or unusable policy.`;

const OPS: readonly OperationName[] = ['fs.read', 'fs.write', 'process.spawn', 'net.connect', 'sql.query', 'code.eval'];

const optionSpec = {
  policy: { type: 'string' },
  'app-root': { type: 'string' },
  package: { type: 'string' },
  route: { type: 'string' },
  method: { type: 'string' },
  path: { type: 'string' },
  address: { type: 'string' },
  cwd: { type: 'string' },
  dialect: { type: 'string' },
  driver: { type: 'string' },
  via: { type: 'string' },
  env: { type: 'string', multiple: true },
  event: { type: 'string' },
  shell: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

/**
 * `process.spawn git --version`: everything after the program is its argv,
 * so option parsing stops there (the way `env` and `sudo` treat their command).
 */
function splitArgv(argv: string[]): { head: string[]; tail: string[] } {
  const { tokens } = parseArgs({ args: argv, options: optionSpec, allowPositionals: true, strict: false, tokens: true });
  const positionals = tokens.filter((t) => t.kind === 'positional');
  if (positionals[0]?.kind === 'positional' && positionals[0].value === 'process.spawn' && positionals[1] !== undefined) {
    const cut = positionals[1].index + 1;
    return { head: argv.slice(0, cut), tail: argv.slice(cut) };
  }
  const dd = tokens.find((t) => t.kind === 'option-terminator');
  return dd ? { head: argv.slice(0, dd.index), tail: argv.slice(dd.index + 1) } : { head: argv, tail: [] };
}

function netResource(target: string, address: string | undefined): Operation & { name: 'net.connect' } {
  let host: string;
  let port: number | undefined;
  let protocol: string | undefined;
  let url: string | undefined;
  if (target.includes('://')) {
    const u = new URL(target);
    host = u.hostname.replace(/^\[|\]$/g, '');
    protocol = u.protocol;
    port = u.port !== '' ? Number(u.port) : undefined;
    url = `${u.protocol}//${u.host}${u.pathname}`;
  } else {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(target) ?? /^([^:]+)(?::(\d+))?$/.exec(target);
    if (!m) throw new UsageError(`cannot read host[:port] from "${target}"`);
    host = m[1]!;
    port = m[2] !== undefined ? Number(m[2]) : undefined;
  }
  return {
    name: 'net.connect', module: 'cli', fn: 'explain',
    resource: { host, ...(port !== undefined ? { port } : {}), ...(protocol ? { protocol } : {}), ...(url ? { url } : {}), ...(address ? { address } : {}) },
  };
}

function buildOperation(name: string, rest: string[], v: Record<string, unknown>): Operation {
  if (!OPS.includes(name as OperationName)) throw new UsageError(`unknown operation "${name}" (one of: ${OPS.join(', ')})`);
  const cwd = path.resolve(String(v.cwd ?? '.'));
  const need = (what: string): string => {
    if (rest.length === 0) throw new UsageError(`${name} needs ${what}`);
    return rest.join(' ');
  };
  switch (name as OperationName) {
    case 'fs.read':
    case 'fs.write': {
      const p = need('a path');
      return { name: name as 'fs.read', module: 'cli', fn: 'explain', resource: { path: path.resolve(cwd, p), rawPath: p } };
    }
    case 'process.spawn': {
      const envKeys = (v.env as string[] | undefined) ?? [];
      const env = envKeys.length > 0 ? { envKeys } : {};
      if (v.shell === true) {
        const command = need('a command line');
        return { name: 'process.spawn', module: 'cli', fn: 'explain', resource: { file: '/bin/sh', args: ['-c', command], shell: true, command, cwd, ...env } };
      }
      if (rest.length === 0) throw new UsageError('process.spawn needs a program');
      return { name: 'process.spawn', module: 'cli', fn: 'explain', resource: { file: rest[0]!, args: rest.slice(1), shell: false, cwd, ...env } };
    }
    case 'net.connect':
      return netResource(need('a URL or host[:port]'), v.address as string | undefined);
    case 'sql.query': {
      const dialect = String(v.dialect ?? 'postgres');
      if (!['postgres', 'mysql', 'sqlite'].includes(dialect)) throw new UsageError(`unknown dialect "${dialect}"`);
      return { name: 'sql.query', module: 'cli', fn: 'explain', resource: { driver: String(v.driver ?? 'pg'), dialect: dialect as SqlDialect, text: need('SQL text') } };
    }
    case 'code.eval':
      return { name: 'code.eval', module: 'cli', fn: 'explain', resource: { source: need('source text'), via: String(v.via ?? 'eval') } };
  }
}

function contextOf(v: Record<string, unknown>): EvalContext {
  const ctx: EvalContext = {};
  if (typeof v.package === 'string') ctx.package = v.package;
  if (typeof v.route === 'string') {
    const [method, ...p] = v.route.trim().split(/\s+/);
    if (p.length === 0) throw new UsageError('--route must be "METHOD /path", e.g. "GET /users/:id"');
    ctx.method = method!.toUpperCase();
    ctx.route = p.join(' ');
  }
  if (typeof v.method === 'string') ctx.method = v.method.toUpperCase();
  if (typeof v.path === 'string') ctx.path = v.path;
  return ctx;
}

/** An event line as logged (lib/report): operation, resource, package, request.{method,path,route}. */
function fromEvent(line: string): { op: Operation; ctx: EvalContext } {
  let ev: Record<string, unknown>;
  try {
    ev = JSON.parse(line) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`--event is not JSON: ${(e as Error).message}`);
  }
  const opField = ev.operation;
  const name = typeof opField === 'string' ? opField : (opField as { name?: unknown } | undefined)?.name;
  const resource = (ev.resource ?? (opField as { resource?: unknown } | undefined)?.resource) as Record<string, unknown> | undefined;
  if (typeof name !== 'string' || !OPS.includes(name as OperationName)) throw new UsageError('the event has no known "operation"');
  if (resource === undefined || typeof resource !== 'object') throw new UsageError('the event has no "resource"');
  const op = { name, module: String(ev.module ?? 'event'), fn: String(ev.fn ?? 'event'), resource } as unknown as Operation;
  const need = (k: string, t: string): void => {
    if (typeof resource[k] !== t) throw new UsageError(`the event's resource has no ${k}`);
  };
  if (name === 'fs.read' || name === 'fs.write') need('path', 'string');
  if (name === 'process.spawn') {
    need('file', 'string');
    if (!Array.isArray(resource.args)) resource.args = [];
    resource.shell = resource.shell === true;
  }
  if (name === 'net.connect') need('host', 'string');
  if (name === 'sql.query') need('text', 'string');
  if (name === 'code.eval') need('via', 'string');
  const ctx: EvalContext = {};
  const pkg = typeof ev.package === 'string' ? ev.package : (ev.package as { name?: unknown } | undefined)?.name;
  if (typeof pkg === 'string') ctx.package = pkg;
  const req = ev.request as { method?: unknown; path?: unknown; route?: unknown; url?: unknown } | undefined;
  if (typeof req?.method === 'string') ctx.method = req.method;
  if (typeof req?.route === 'string') ctx.route = req.route;
  if (typeof req?.path === 'string') ctx.path = req.path;
  else if (typeof req?.url === 'string') ctx.path = req.url.split('?')[0]!;
  return { op, ctx };
}

function describeOp(op: Operation): string {
  const r = op.resource as unknown as Record<string, unknown>;
  switch (op.name) {
    case 'process.spawn':
      return op.resource.shell ? `shell: ${op.resource.command ?? op.resource.args.join(' ')}` : [op.resource.file, ...op.resource.args].join(' ');
    case 'net.connect':
      return `${op.resource.protocol ? op.resource.protocol.replace(/:$/, '') + '://' : ''}${op.resource.host}${op.resource.port !== undefined ? ':' + op.resource.port : ''}${op.resource.address ? ` (address ${op.resource.address})` : ''}`;
    case 'sql.query':
      return `${op.resource.dialect}: ${op.resource.text}`;
    case 'code.eval':
      return `${op.resource.via}: ${op.resource.source}`;
    default:
      return String(r.path);
  }
}

function render(file: string, policyMode: Mode, op: Operation, ctx: EvalContext, v: PolicyVerdict, envMode: Mode | undefined): string {
  const lines: string[] = [];
  lines.push(`policy:     ${file} (mode ${policyMode})`);
  lines.push(`operation:  ${op.name} ${describeOp(op)}`);
  const caller = ctx.package === undefined ? 'application code'
    : ctx.package === UNKNOWN_CALLER ? 'unknown (no app or package frame on the stack; only "*" package scopes apply)'
    : `package ${ctx.package}`;
  lines.push(`caller:     ${caller}`);
  if (ctx.method !== undefined || ctx.route !== undefined || ctx.path !== undefined) {
    lines.push(`request:    ${ctx.method ?? '*'} ${ctx.route ?? ctx.path ?? ''}`);
  }
  lines.push('', 'rules considered:');
  const steps = v.trace ?? [];
  if (steps.length === 0) lines.push('  (none)');
  const idW = Math.min(40, Math.max(...steps.map((s) => s.ruleId.length), 8));
  steps.forEach((s, i) => {
    const at = s.at && s.at.line > 0 ? ` (${path.basename(s.at.file)}:${s.at.line}:${s.at.column})` : '';
    const verdict = s.matched ? 'MATCH   ' : 'no match';
    lines.push(`  ${String(i + 1).padStart(2)}. ${s.effect.padEnd(9)} ${s.ruleId.padEnd(idW)} ${verdict}  ${s.why}${at}`);
  });
  lines.push('');
  lines.push(`decision:   ${v.decision.toUpperCase()}${v.ruleId ? ` by ${v.ruleId}` : ''} (scope ${v.scope})`);
  const eff = effectiveMode(v.mode, envMode);
  lines.push(`mode:       ${v.mode}${envMode !== undefined ? ` (PALISADE_MODE=${envMode} → ${eff})` : ''}${v.decision === 'deny' ? ` → ${eff === 'block' ? 'the call is blocked' : eff === 'monitor' ? 'the call proceeds and is reported' : eff === 'learn' ? 'recorded for learn' : 'no action (off)'}` : ''}`);
  lines.push(`reason:     ${v.reason}`);
  if (v.needsAddress) lines.push('note:       a CIDR rule needs the connected address; pass --address IP to decide it');
  return lines.join('\n');
}

export function runExplain(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  try {
    const { head, tail } = splitArgv(argv);
    const { values, positionals } = parseArgs({ args: head, options: optionSpec, allowPositionals: true, strict: true });
    if (values.help) {
      out(EXPLAIN_HELP);
      return 0;
    }
    let op: Operation;
    let ctx: EvalContext;
    if (values.event !== undefined) {
      if (positionals.length > 0 || tail.length > 0) throw new UsageError('--event takes no operation or resource');
      ({ op, ctx } = fromEvent(values.event));
      const extra = contextOf(values);
      ctx = { ...ctx, ...extra };
    } else {
      const [name, ...rest] = [...positionals, ...tail];
      if (name === undefined) throw new UsageError('missing operation');
      op = buildOperation(name, rest, values);
      ctx = contextOf(values);
    }
    const file = values.policy ?? findPolicyFile();
    if (file === undefined) throw new UsageError('no policy: pass --policy, set PALISADE_POLICY, or create ./palisade.yaml');
    const policy = loadPolicyFile(file, values['app-root'] !== undefined ? { APP_ROOT: path.resolve(values['app-root']) } : undefined);
    const v = evaluate(policy, op, ctx, true);
    const envMode = parseMode(process.env.PALISADE_MODE);
    if (values.json) {
      out(JSON.stringify({ policy: file, operation: op, context: ctx, verdict: v, effectiveMode: effectiveMode(v.mode, envMode) }, null, 2));
    } else {
      out(render(file, policy.mode, op, ctx, v, envMode));
    }
    return v.decision === 'allow' ? 0 : 1;
  } catch (e) {
    if (e instanceof PolicyError) {
      err(e.message);
      return 2;
    }
    const code = (e as { code?: unknown }).code;
    if (e instanceof UsageError || (typeof code === 'string' && (code.startsWith('ERR_PARSE_ARGS') || code === 'ERR_INVALID_URL'))) {
      err(`palisade explain: ${(e as Error).message}\n\n${EXPLAIN_HELP}`);
      return 2;
    }
    throw e;
  }
}
