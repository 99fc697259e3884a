import type { Config } from './config';
import { requestPath } from './context';
import { routeOf } from './taint';
import { evaluate, findPolicyFile, loadPolicyFile, Policy, PolicyError } from './policy';
import { effectiveMode } from './policy/mode';
import type { PolicyDecision, PolicyEngine } from './policy-engine';
import { isBuiltinTransparent, type PackageNames } from './stack';
import type { AttackKind, Mode, Operation, OperationName } from './types';

/** The built-in list, as the policy's package scopes amend it (`transparent: true | false`). */
class TransparentPackages implements PackageNames {
  private readonly known = new Map<string, boolean>();

  constructor(private readonly policy: Policy) {}

  has(name: string): boolean {
    let hit = this.known.get(name);
    if (hit === undefined) {
      const declared = this.policy.packageScopes(name).find((s) => s.transparent !== undefined)?.transparent;
      hit = declared ?? isBuiltinTransparent(name);
      if (this.known.size >= 1000) this.known.clear();
      this.known.set(name, hit);
    }
    return hit;
  }
}

/**
 * Load the policy named by the configuration (PALISADE_POLICY or
 * ./palisade.yaml) and adapt it to the agent's PolicyEngine seam. The
 * environment can only turn the policy's modes down (block → monitor →
 * off); a programmatic `start({ mode })` is the operator asking explicitly.
 * Mutates `config.mode`/`modeSource` so the startup line tells the truth.
 */
export function loadPolicyEngine(config: Config, warn: (msg: string) => void): PolicyEngine | undefined {
  const file = config.policy ?? findPolicyFile();
  if (file === undefined) return undefined;
  let policy: Policy;
  try {
    policy = loadPolicyFile(file);
  } catch (err) {
    const lines = err instanceof PolicyError ? err.message : `${file}: ${(err as Error).message}`;
    if (config.failClosed) throw new Error(`palisade: policy ${file} cannot be used:\n${lines}`);
    warn(`policy ${file} cannot be used; continuing without a policy (PALISADE_FAIL=open):\n${lines}`);
    return undefined;
  }
  const ceiling: Mode | undefined = config.modeSource === 'env' ? config.mode : undefined;
  if (config.modeSource !== 'option') {
    config.mode = effectiveMode(policy.mode, ceiling);
    config.modeSource = ceiling !== undefined && config.mode !== policy.mode ? 'env' : 'policy';
  }
  const explicit = config.modeSource === 'option' ? config.mode : undefined;
  const clamp = (m: Mode): Mode => (explicit !== undefined ? effectiveMode(m, explicit) : effectiveMode(m, ceiling));
  return new PolicyAdapter(file, policy, config.mode, clamp);
}

class PolicyAdapter implements PolicyEngine {
  readonly transparentPackages: PackageNames;

  constructor(
    readonly file: string,
    private readonly policy: Policy,
    readonly mode: Mode,
    private readonly clamp: (m: Mode) => Mode,
  ) {
    this.transparentPackages = new TransparentPackages(policy);
  }

  restricts(op: OperationName): boolean {
    return this.policy.restricts(op);
  }

  needsPackage(op: OperationName): boolean {
    return this.policy.needsPackage(op);
  }

  injectionMode(kind: AttackKind): Mode {
    return this.clamp(this.policy.injectionMode(kind));
  }

  evaluate(op: Operation, ctx: Parameters<PolicyEngine['evaluate']>[1]): PolicyDecision | undefined {
    const request = ctx.scope?.request;
    const v = evaluate(this.policy, op, {
      package: ctx.package,
      method: request?.req.method,
      path: request !== undefined ? requestPath(request) : undefined,
      route: ctx.scope !== undefined ? routeOf(ctx.scope) : undefined,
    });
    // A CIDR rule needs the connected address: the connect-time check decides.
    if (v.needsAddress === true && op.name === 'net.connect' && op.resource.address === undefined) return undefined;
    return { decision: v.decision, ruleId: v.ruleId, scope: v.scope, mode: this.clamp(v.mode), reason: v.reason };
  }
}
