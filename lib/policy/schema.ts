import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import type { PolicyProblem } from './errors';
import { fieldOf, pointerToPath, type Locator } from './positions';
import { closest } from './suggest';

// lib/policy (ts sources, e.g. under a TS runner) or dist/lib/policy (built JS).
const candidates = [path.resolve(__dirname, '..', '..', 'policies', 'schema.json'), path.resolve(__dirname, '..', '..', '..', 'policies', 'schema.json')];

export function schemaPath(): string {
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`palisade: policies/schema.json not found (looked in ${candidates.join(', ')})`);
}

let schemaText: string | undefined;
export function schemaSource(): string {
  schemaText ??= fs.readFileSync(schemaPath(), 'utf8');
  return schemaText;
}

// strict:false because if/then/else unions mix types per branch, which ajv's strictTypes rejects.
export const AJV_OPTIONS: Options = { allErrors: true, verbose: true, strict: false };

/** FNV-1a of the schema text: ties the precompiled validator to the schema it was built from. */
export function schemaHash(text: string = schemaSource()): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `${text.length}:${(h >>> 0).toString(16)}`;
}

/**
 * `npm run build` compiles the schema ahead of time (lib/policy/build-validator.ts):
 * loading ajv and compiling the schema in the app's process costs ~9 MB of
 * RSS for good. From source (tests under a TS runner), or when the built
 * validator is from another schema, ajv compiles it here as before.
 */
export type ValidatorOrigin = 'precompiled' | 'compiled';
let validator: ValidateFunction | undefined;
let origin: ValidatorOrigin | undefined;

function precompiled(): ValidateFunction | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('./schema-validator.js') as ValidateFunction & { schemaHash?: unknown };
    return typeof mod === 'function' && mod.schemaHash === schemaHash() ? mod : undefined;
  } catch {
    return undefined;
  }
}

function getValidator(): ValidateFunction {
  if (validator !== undefined) return validator;
  const built = precompiled();
  if (built !== undefined) {
    origin = 'precompiled';
    return (validator = built);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  origin = 'compiled';
  return (validator = new Ajv(AJV_OPTIONS).compile(JSON.parse(schemaSource()) as object));
}

/** Which validator checks policies in this process (tests and diagnostics). */
export function validatorOrigin(): ValidatorOrigin {
  getValidator();
  return origin!;
}

const patternMessages: Record<string, { problem: string; hint: string }> = {
  '^[0-9]{1,5}-[0-9]{1,5}$': { problem: 'invalid port', hint: 'a port number, or a range like "8000-8999"' },
  '^(\\*|[A-Z]+) /\\S*$': { problem: 'invalid route', hint: 'write "METHOD /path/:param", e.g. "POST /upload" or "* /admin/*"' },
  '^[A-Za-z0-9][A-Za-z0-9._:/-]*$': { problem: 'invalid id', hint: 'letters, digits and . _ : / - ; starting with a letter or digit' },
};

function describeValue(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Validates a parsed policy document against policies/schema.json; problems carry positions. */
export function validateSchema(doc: unknown, file: string, loc: Locator): PolicyProblem[] {
  const validate = getValidator();
  if (validate(doc)) return [];
  const errors = (validate.errors ?? []) as ErrorObject[];
  const ifErrors = new Map<string, ErrorObject>();
  for (const e of errors) if (e.keyword === 'if') ifErrors.set(e.instancePath, e);
  const out: PolicyProblem[] = [];
  const seen = new Set<string>();
  const push = (p: PolicyProblem): void => {
    const k = `${p.line}:${p.column}:${p.field}:${p.problem}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(p);
  };
  for (const e of errors) {
    if (e.keyword === 'if' || e.keyword === 'propertyNames') continue;
    const p = pointerToPath(e.instancePath, doc);
    const params = e.params as Record<string, unknown>;
    let fieldPath = p;
    let key = false;
    let problem = e.message ?? 'invalid';
    let hint: string | undefined;
    switch (e.keyword) {
      case 'additionalProperties': {
        const prop = String(params.additionalProperty);
        fieldPath = [...p, prop];
        key = true;
        problem = `unknown field "${prop}"`;
        const props = Object.keys((e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
        const near = closest(prop, props);
        hint = near !== undefined ? `did you mean "${near}"?` : `allowed here: ${props.join(', ')}`;
        break;
      }
      case 'required':
        problem = `missing required field "${String(params.missingProperty)}"`;
        break;
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]).map(String);
        problem = `${describeValue(e.data)} is not allowed`;
        const near = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
        hint = near !== undefined ? `did you mean "${near}"? (one of: ${allowed.join(', ')})` : `one of: ${allowed.join(', ')}`;
        break;
      }
      case 'const':
        problem = `must be ${describeValue(params.allowedValue)}, got ${describeValue(e.data)}`;
        break;
      case 'type': {
        const ifErr = ifErrors.get(e.instancePath);
        const ifType = (ifErr?.parentSchema as { if?: { type?: string } } | undefined)?.if?.type;
        const want = ifType !== undefined && ifType !== params.type ? `${ifType} or ${String(params.type)}` : String(params.type);
        problem = `must be ${want}, got ${describeValue(e.data)}`;
        const desc = (e.parentSchema as { description?: string } | undefined)?.description;
        if (desc) hint = desc;
        break;
      }
      case 'pattern': {
        const pattern = String(params.pattern);
        if (e.propertyName !== undefined) {
          fieldPath = [...p, e.propertyName];
          key = true;
          problem = p[0] === 'packages' ? `invalid package name "${e.propertyName}"` : `invalid key "${e.propertyName}"`;
          hint = p[0] === 'packages' ? 'an npm package name, "@scope/*" or "*"' : patternMessages[pattern]?.hint;
        } else if (patternMessages[pattern]) {
          problem = `${patternMessages[pattern]!.problem} ${describeValue(e.data)}`;
          hint = patternMessages[pattern]!.hint;
        } else if (p[p.length - 1] === 'expires') {
          problem = `invalid date ${describeValue(e.data)}`;
          hint = 'write YYYY-MM-DD or an ISO date-time';
        }
        break;
      }
      default:
        break;
    }
    const { line, column } = loc.locate(fieldPath, key);
    push({ file, line, column, field: fieldOf(fieldPath), problem, ...(hint !== undefined ? { hint } : {}) });
  }
  out.sort((a, b) => a.line - b.line || a.column - b.column);
  return out;
}
