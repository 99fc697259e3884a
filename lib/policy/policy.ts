import type { AttackKind, Mode, OperationName } from '../types';
import { OPERATIONS, type CompiledParts } from './compile';
import type { AnyRule, CompiledException, Scope } from './scope';
import type { PolicyVerdict } from './types';

const MAX_PACKAGE_CACHE = 5_000;

/**
 * A compiled policy. Everything the hot path needs is precomputed here: which
 * operations are restricted at all, which need the calling package, the
 * package → scopes resolution (cached), and the verdict for unrestricted calls.
 */
export class Policy {
  /** File the policy was loaded from (or the name given to compilePolicy). */
  readonly source: string;
  /** Policy-level mode (default `monitor`). */
  readonly mode: Mode;
  readonly global: Scope;
  /** Package scopes, most specific first. */
  readonly packages: readonly Scope[];
  readonly routes: readonly Scope[];
  readonly exceptions: readonly CompiledException[];
  /** Every compiled rule by id. */
  readonly rules: ReadonlyMap<string, AnyRule>;
  /** True when some section restricts process.spawn: the built-in env rule is active. */
  readonly spawnEnvRule: boolean;

  private readonly injection: Record<AttackKind, Mode>;
  private readonly restrictsOp: Record<OperationName, boolean>;
  private readonly needsPkgOp: Record<OperationName, boolean>;
  private readonly hasSpawnSections: boolean;
  /** Exceptions per operation (expired ones included; checked at evaluation time). */
  readonly exceptionsByOp: Readonly<Record<OperationName, readonly CompiledException[]>>;
  /** deny rule id → exceptions that name it. */
  readonly liftedBy: ReadonlyMap<string, readonly CompiledException[]>;
  readonly unrestricted: Readonly<Record<OperationName, PolicyVerdict>>;
  private readonly pkgCache = new Map<string, readonly Scope[]>();

  constructor(source: string, parts: CompiledParts) {
    this.source = source;
    this.mode = parts.mode;
    this.global = parts.global;
    this.packages = parts.packages;
    this.routes = parts.routes;
    this.exceptions = parts.exceptions;
    this.rules = parts.rules;
    this.injection = parts.injection;

    const allScopes = [parts.global, ...parts.packages, ...parts.routes];
    const declares = (op: OperationName, scopes: readonly Scope[] = allScopes): boolean =>
      scopes.some((s) => s.allow[op] !== undefined || s.deny[op] !== undefined);

    const byOp = {} as Record<OperationName, CompiledException[]>;
    for (const op of OPERATIONS) byOp[op] = [];
    const lifted = new Map<string, CompiledException[]>();
    for (const e of parts.exceptions) {
      byOp[e.op].push(e);
      for (const id of e.overrides ?? []) lifted.set(id, [...(lifted.get(id) ?? []), e]);
    }
    this.exceptionsByOp = byOp;
    this.liftedBy = lifted;

    this.hasSpawnSections = declares('process.spawn');
    this.spawnEnvRule = this.hasSpawnSections;
    const restricts = {} as Record<OperationName, boolean>;
    for (const op of OPERATIONS) restricts[op] = declares(op);
    // A shell redirection writes files outside Node's fs, so spawns are checked whenever files are restricted.
    restricts['process.spawn'] = restricts['process.spawn'] || restricts['fs.write'] || restricts['fs.read'];
    this.restrictsOp = restricts;

    // Does the package change anything? Only if a package scope speaks about the operation, an exception is
    // limited to a package, or an allow list exists that packages do not inherit by default.
    const star = parts.packages.find((s) => s.specificity === 1);
    const allInherit = star?.inherit === true && !parts.packages.some((s) => s.inherit === false);
    const needs = {} as Record<OperationName, boolean>;
    for (const op of OPERATIONS) {
      const pkgRules = declares(op, parts.packages);
      const pkgExceptions = byOp[op].some((e) => e.matchPackage !== undefined);
      const appAllow = [parts.global, ...parts.routes].some((s) => s.allow[op] !== undefined);
      needs[op] = restricts[op] && (pkgRules || pkgExceptions || (appAllow && !allInherit));
    }
    needs['process.spawn'] = needs['process.spawn'] || (restricts['process.spawn'] && (needs['fs.write'] || needs['fs.read']));
    this.needsPkgOp = needs;

    const unr = {} as Record<OperationName, PolicyVerdict>;
    for (const op of OPERATIONS) {
      unr[op] = Object.freeze({ decision: 'allow' as const, scope: 'global', mode: parts.mode, reason: `${op} is not restricted by the policy` });
    }
    this.unrestricted = unr;
  }

  /** False when the policy says nothing about `op`: the agent can skip policy evaluation entirely. */
  restricts(op: OperationName): boolean {
    return this.restrictsOp[op];
  }

  /** True only when the calling package could change the decision for `op` (capture a stack only then). */
  needsPackage(op: OperationName): boolean {
    return this.needsPkgOp[op];
  }

  /** process.spawn sections exist (as opposed to spawns being checked only for shell redirections). */
  restrictsSpawnItself(): boolean {
    return this.hasSpawnSections;
  }

  /** Mode for an injection kind: `injection.<kind>` or the policy mode. */
  injectionMode(kind: AttackKind): Mode {
    return this.injection[kind];
  }

  /** Package scopes that apply to `name`, most specific first (cached). */
  packageScopes(name: string): readonly Scope[] {
    let hit = this.pkgCache.get(name);
    if (hit === undefined) {
      hit = this.packages.filter((s) => s.matchPackage!(name));
      if (this.pkgCache.size >= MAX_PACKAGE_CACHE) this.pkgCache.clear();
      this.pkgCache.set(name, hit);
    }
    return hit;
  }
}
