import type { Config } from './config';
import type { PolicyEngine } from './policy-engine';

/** Placeholder until lib/policy lands: policies are not loaded yet. */
export function loadPolicyEngine(config: Config, warn: (msg: string) => void): PolicyEngine | undefined {
  if (config.policy !== undefined) warn(`policy ${config.policy} ignored: policy support is not built yet`);
  return undefined;
}
