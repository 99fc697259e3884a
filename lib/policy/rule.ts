import type { Mode, OperationName } from '../types';
import type { PolicyProblem } from './errors';
import { fieldOf, type Locator, type PathSeg } from './positions';
import type { Effect, PolicyVerdict, SourcePos } from './types';
import { expandVars } from './vars';

/**
 * A compiled rule: matchers built once at load, a prebuilt verdict so that
 * the allow path allocates nothing, and what `explain` and `check` need.
 */
export interface CompiledRule<S> {
  readonly id: string;
  readonly op: OperationName;
  readonly effect: Effect;
  /** `global`, `package:<pattern>`, `route:<METHOD /path>`, `exception`. */
  readonly scope: string;
  readonly mode: Mode;
  readonly at: SourcePos;
  /** One-line human summary: `path ${APP_ROOT}/** (→ /srv/app/**)`. */
  readonly label: string;
  /** Normalised fields for lint (patterns as written after variable expansion). */
  readonly spec: RuleSpec;
  test(subject: S): boolean;
  /** Why it matches or not (only called by explain). */
  why(subject: S): string;
  /** The verdict returned when this allow rule decides (frozen, shared). */
  readonly verdict: PolicyVerdict;
}

export interface RuleSpec {
  paths?: string[];
  file?: string;
  args?: string[];
  env?: string[];
  shell?: boolean;
  cwd?: string;
  hosts?: string[];
  ports?: string[];
  protocols?: string[];
  cidrs?: string[];
  kinds?: string[];
  multiStatement?: boolean;
  dialect?: string;
  drivers?: string[];
  dbs?: string[];
  via?: string[];
}

export interface RuleHeader {
  id: string;
  op: OperationName;
  effect: Effect;
  scope: string;
  mode: Mode;
  at: SourcePos;
}

/** Shared state while compiling one policy: variables, positions, collected problems. */
export class CompileCtx {
  readonly problems: PolicyProblem[] = [];
  constructor(
    readonly file: string,
    readonly loc: Locator,
    readonly vars: Record<string, string>,
  ) {}

  pos(path: readonly PathSeg[], key = false): SourcePos {
    const { line, column } = this.loc.locate(path, key);
    return { file: this.file, line, column, field: fieldOf(path) };
  }

  problem(path: readonly PathSeg[], problem: string, hint?: string, key = false): void {
    const p = this.pos(path, key);
    this.problems.push({ file: p.file, line: p.line, column: p.column, field: p.field, problem, ...(hint !== undefined ? { hint } : {}) });
  }

  /** Expands variables; on error records a problem and returns undefined. */
  expand(value: string, path: readonly PathSeg[]): string | undefined {
    const r = expandVars(value, this.vars);
    if ('error' in r) {
      this.problem(path, r.error, r.hint);
      return undefined;
    }
    return r.value;
  }

  /** string | string[] → expanded strings with their paths. */
  list(value: unknown, path: readonly PathSeg[]): string[] {
    const items = Array.isArray(value) ? (value as unknown[]) : [value];
    const out: string[] = [];
    items.forEach((v, i) => {
      const p = Array.isArray(value) ? [...path, i] : path;
      const s = this.expand(String(v), p);
      if (s !== undefined) out.push(s);
    });
    return out;
  }
}

export function allowVerdict(h: RuleHeader, label: string): PolicyVerdict {
  return Object.freeze({ decision: 'allow' as const, ruleId: h.id, scope: h.scope, mode: h.mode, reason: `allowed by ${h.id} (${label})` });
}
