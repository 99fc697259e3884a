import type { Mode, OperationName } from '../types';
import type { CompiledRule } from './rule';
import type { EvalSubject } from './rules-eval';
import type { FsSubject } from './rules-fs';
import type { NetSubject } from './rules-net';
import type { SpawnRuleExtra, SpawnSubject } from './rules-spawn';
import type { SqlSubject } from './rules-sql';
import type { EvalContext, PolicyVerdict, SourcePos } from './types';

/** What rules match against: an operation's resource, normalised once per evaluation. */
export type Subject = FsSubject | SpawnSubject | NetSubject | SqlSubject | EvalSubject;

/** Rules of one section only ever see their own operation's subject. */
export type AnyRule = CompiledRule<Subject> & SpawnRuleExtra;

export interface Section {
  /** `allow.fs.read`, `packages.sharp.deny.net.connect`, ... */
  readonly id: string;
  readonly op: OperationName;
  readonly effect: 'allow' | 'deny';
  readonly scope: string;
  readonly mode: Mode;
  readonly at: SourcePos;
  readonly rules: readonly AnyRule[];
}

export type Sections = Partial<Record<OperationName, Section>>;

export interface RouteMatcher {
  readonly key: string;
  test(ctx: EvalContext): boolean;
}

export interface Scope {
  /** `global`, `package:<pattern>`, `route:<METHOD /path>` */
  readonly name: string;
  readonly kind: 'global' | 'package' | 'route';
  readonly mode: Mode;
  readonly modeExplicit: boolean;
  /** Packages: undefined when the scope does not say. */
  readonly inherit?: boolean;
  /** Packages: calls through it are attributed to its caller; undefined when the scope does not say. */
  readonly transparent?: boolean;
  /** Packages: exact 3, @scope/* 2, * 1. */
  readonly specificity: number;
  readonly allow: Sections;
  readonly deny: Sections;
  readonly at: SourcePos;
  readonly matchPackage?: (name: string) => boolean;
  readonly route?: RouteMatcher;
}

export interface CompiledException {
  readonly id: string;
  readonly reason: string;
  readonly owner: string;
  readonly expires: string;
  readonly expiresAt: number;
  readonly op: OperationName;
  readonly overrides?: readonly string[];
  readonly match?: AnyRule;
  readonly packagePattern?: string;
  readonly matchPackage?: (name: string | undefined) => boolean;
  readonly route?: RouteMatcher;
  readonly at: SourcePos;
  readonly verdict: PolicyVerdict;
}

export function packageMatcher(pattern: string): (name: string) => boolean {
  if (pattern === '*') return () => true;
  if (pattern.endsWith('/*')) {
    const prefix = pattern.slice(0, -1);
    return (n) => n.startsWith(prefix);
  }
  return (n) => n === pattern;
}

export function packageSpecificity(pattern: string): number {
  return pattern === '*' ? 1 : pattern.endsWith('/*') ? 2 : 3;
}

/** "GET /users/:id", "* /static/*": matches the framework's route template or the concrete path. */
export function routeMatcher(key: string): RouteMatcher {
  const sp = key.indexOf(' ');
  const method = key.slice(0, sp);
  const tmpl = key.slice(sp + 1);
  const segs = tmpl.split('/').map((seg, i, all) => {
    if (seg.startsWith(':')) return '[^/]+';
    if (seg === '*') return i === all.length - 1 ? '.*' : '[^/]*';
    return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  // Each parameter is a segment class between literal slashes, and `.*` only ends the pattern: linear on untrusted paths.
  const re = new RegExp(`^${segs.join('/')}/?$`);
  return {
    key,
    test(ctx) {
      if (method !== '*' && (ctx.method === undefined || ctx.method.toUpperCase() !== method)) return false;
      return (ctx.route !== undefined && re.test(ctx.route)) || (ctx.path !== undefined && re.test(ctx.path));
    },
  };
}
