import type { AttackKind, Mode, OperationName } from '../types';
import type { PathSeg } from './positions';
import { CompileCtx, type CompiledRule, type RuleHeader } from './rule';
import { compileEvalRule } from './rules-eval';
import { compileFsRule } from './rules-fs';
import { compileNetRule } from './rules-net';
import { compileSpawnRule } from './rules-spawn';
import { compileSqlRule } from './rules-sql';
import {
  packageMatcher,
  packageSpecificity,
  routeMatcher,
  type AnyRule,
  type CompiledException,
  type Scope,
  type Sections,
  type Subject,
} from './scope';

export const OPERATIONS: readonly OperationName[] = ['fs.read', 'fs.write', 'process.spawn', 'net.connect', 'sql.query', 'code.eval'];

type RawSections = Partial<Record<OperationName, unknown>>;
interface RawScope {
  mode?: Mode;
  inherit?: boolean;
  transparent?: boolean;
  allow?: RawSections;
  deny?: RawSections;
}
interface RawException {
  id: string;
  reason: string;
  owner: string;
  expires: string;
  operation: OperationName;
  overrides?: string[];
  match?: unknown;
  package?: string;
  route?: string;
}
/** A policy document that passed schema validation. */
export interface PolicyDoc {
  version: 1;
  mode?: Mode;
  injection?: Partial<Record<'sql' | 'command' | 'path' | 'ssrf' | 'code', Mode>>;
  allow?: RawSections;
  deny?: RawSections;
  packages?: Record<string, RawScope>;
  routes?: Record<string, RawScope>;
  exceptions?: RawException[];
}

export interface CompiledParts {
  mode: Mode;
  injection: Record<AttackKind, Mode>;
  global: Scope;
  packages: Scope[];
  routes: Scope[];
  exceptions: CompiledException[];
  rules: Map<string, AnyRule>;
}

type RuleCompiler = (raw: unknown, h: RuleHeader, ctx: CompileCtx, at: readonly PathSeg[]) => CompiledRule<Subject> | undefined;

const compilers: Record<OperationName, RuleCompiler> = {
  'fs.read': compileFsRule as RuleCompiler,
  'fs.write': compileFsRule as RuleCompiler,
  'process.spawn': compileSpawnRule as RuleCompiler,
  'net.connect': compileNetRule as RuleCompiler,
  'sql.query': compileSqlRule as RuleCompiler,
  'code.eval': compileEvalRule as RuleCompiler,
};

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Compiler {
  readonly rules = new Map<string, AnyRule>();
  private readonly ids = new Map<string, string>();

  constructor(
    readonly ctx: CompileCtx,
    readonly policyMode: Mode,
  ) {}

  claimId(id: string, at: readonly PathSeg[]): boolean {
    const prev = this.ids.get(id);
    if (prev !== undefined) {
      this.ctx.problem(at, `duplicate id "${id}"`, `already used at ${prev}`);
      return false;
    }
    const p = this.ctx.pos(at);
    this.ids.set(id, `${p.line}:${p.column}`);
    return true;
  }

  sections(raw: RawSections | undefined, effect: 'allow' | 'deny', scope: string, scopeMode: Mode, at: readonly PathSeg[], idPrefix: string): Sections {
    const out: Sections = {};
    if (!raw) return out;
    for (const op of OPERATIONS) {
      const value = raw[op];
      if (value === undefined) continue;
      const sAt = [...at, op];
      const sectionId = `${idPrefix}.${op}`;
      let mode = scopeMode;
      let items: Array<{ raw: unknown; at: PathSeg[]; id: string }>;
      if (op === 'code.eval' && typeof value === 'boolean') {
        items = value ? [{ raw: true, at: sAt, id: sectionId }] : [];
      } else if (Array.isArray(value)) {
        items = value.map((r, i) => ({ raw: r, at: [...sAt, i], id: `${sectionId}[${i}]` }));
      } else if (isObj(value) && Array.isArray(value.rules)) {
        if (value.mode !== undefined) mode = value.mode as Mode;
        items = (value.rules as unknown[]).map((r, i) => ({ raw: r, at: [...sAt, 'rules', i], id: `${sectionId}[${i}]` }));
      } else {
        items = [{ raw: value, at: sAt, id: sectionId }];
      }
      if (mode === 'off') continue;
      const rules: AnyRule[] = [];
      for (const it of items) {
        const explicit = isObj(it.raw) && typeof it.raw.id === 'string' ? (it.raw.id as string) : undefined;
        const id = explicit ?? it.id;
        if (!this.claimId(id, explicit !== undefined ? [...it.at, 'id'] : it.at)) continue;
        const ruleMode = isObj(it.raw) && typeof it.raw.mode === 'string' ? (it.raw.mode as Mode) : mode;
        if (ruleMode === 'off') continue;
        const h: RuleHeader = { id, op, effect, scope, mode: ruleMode, at: this.ctx.pos(it.at) };
        const rule = compilers[op](it.raw, h, this.ctx, it.at);
        if (rule) {
          rules.push(rule as AnyRule);
          this.rules.set(id, rule as AnyRule);
        }
      }
      // An empty deny section denies nothing; an empty allow section allows nothing (it is still declared).
      if (effect === 'deny' && rules.length === 0) continue;
      out[op] = { id: sectionId, op, effect, scope, mode, at: this.ctx.pos(sAt), rules };
    }
    return out;
  }

  scope(raw: RawScope, kind: 'package' | 'route', key: string, at: readonly PathSeg[]): Scope {
    const modeExplicit = raw.mode !== undefined;
    const mode = raw.mode ?? this.policyMode;
    const name = `${kind}:${key}`;
    const prefix = kind === 'package' ? `packages.${key}` : `routes[${JSON.stringify(key)}]`;
    const base = {
      name,
      kind,
      mode,
      modeExplicit,
      at: this.ctx.pos(at, true),
      allow: this.sections(raw.allow, 'allow', name, mode, [...at, 'allow'], `${prefix}.allow`),
      deny: this.sections(raw.deny, 'deny', name, mode, [...at, 'deny'], `${prefix}.deny`),
    };
    if (kind === 'package') {
      return {
        ...base,
        specificity: packageSpecificity(key),
        matchPackage: packageMatcher(key),
        ...(raw.inherit !== undefined ? { inherit: raw.inherit } : {}),
        ...(raw.transparent !== undefined ? { transparent: raw.transparent } : {}),
      };
    }
    return { ...base, specificity: 0, route: routeMatcher(key) };
  }

  exception(raw: RawException, i: number): CompiledException | undefined {
    const at: PathSeg[] = ['exceptions', i];
    if (!this.claimId(raw.id, [...at, 'id'])) return undefined;
    const date = /^\d{4}-\d{2}-\d{2}$/.test(raw.expires) ? `${raw.expires}T23:59:59.999Z` : raw.expires;
    const expiresAt = Date.parse(date);
    if (Number.isNaN(expiresAt)) {
      this.ctx.problem([...at, 'expires'], `invalid date "${raw.expires}"`, 'write YYYY-MM-DD or an ISO date-time');
      return undefined;
    }
    const h: RuleHeader = { id: raw.id, op: raw.operation, effect: 'allow', scope: 'exception', mode: this.policyMode, at: this.ctx.pos(at) };
    let match: AnyRule | undefined;
    if (raw.match !== undefined) {
      match = compilers[raw.operation](raw.match, h, this.ctx, [...at, 'match']) as AnyRule | undefined;
      if (!match) return undefined;
    }
    const pkg = raw.package;
    const pm = pkg !== undefined ? packageMatcher(pkg) : undefined;
    return {
      id: raw.id,
      reason: raw.reason,
      owner: raw.owner,
      expires: raw.expires,
      expiresAt,
      op: raw.operation,
      at: h.at,
      ...(raw.overrides ? { overrides: raw.overrides } : {}),
      ...(match ? { match } : {}),
      ...(pkg !== undefined && pm ? { packagePattern: pkg, matchPackage: (n: string | undefined) => n !== undefined && pm(n) } : {}),
      ...(raw.route !== undefined ? { route: routeMatcher(raw.route) } : {}),
      verdict: Object.freeze({
        decision: 'allow' as const,
        ruleId: raw.id,
        scope: 'exception',
        mode: this.policyMode,
        reason: `allowed by exception ${raw.id} (owner ${raw.owner}, expires ${raw.expires}): ${raw.reason}`,
      }),
    };
  }
}

const injectionKeys: Record<AttackKind, 'sql' | 'command' | 'path' | 'ssrf' | 'code'> = {
  sql_injection: 'sql',
  command_injection: 'command',
  path_traversal: 'path',
  ssrf: 'ssrf',
  code_injection: 'code',
};

/** Turns a schema-valid document into scopes of compiled rules; problems go to ctx.problems. */
export function compileDoc(doc: PolicyDoc, ctx: CompileCtx): CompiledParts {
  const mode: Mode = doc.mode ?? 'monitor';
  const c = new Compiler(ctx, mode);
  const injection = {} as Record<AttackKind, Mode>;
  for (const kind of Object.keys(injectionKeys) as AttackKind[]) injection[kind] = doc.injection?.[injectionKeys[kind]] ?? mode;
  const global: Scope = {
    name: 'global',
    kind: 'global',
    mode,
    modeExplicit: doc.mode !== undefined,
    specificity: 0,
    at: ctx.pos([]),
    allow: c.sections(doc.allow, 'allow', 'global', mode, ['allow'], 'allow'),
    deny: c.sections(doc.deny, 'deny', 'global', mode, ['deny'], 'deny'),
  };
  const packages: Scope[] = [];
  for (const [key, raw] of Object.entries(doc.packages ?? {})) {
    packages.push(c.scope(raw, 'package', key, ['packages', key]));
  }
  packages.sort((a, b) => b.specificity - a.specificity);
  const routes: Scope[] = [];
  for (const [key, raw] of Object.entries(doc.routes ?? {})) {
    routes.push(c.scope(raw, 'route', key, ['routes', key]));
  }
  const exceptions: CompiledException[] = [];
  (doc.exceptions ?? []).forEach((raw, i) => {
    const e = c.exception(raw, i);
    if (e) exceptions.push(e);
  });
  return { mode, injection, global, packages, routes, exceptions, rules: c.rules };
}

