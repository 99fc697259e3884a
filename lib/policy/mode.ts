import type { Mode } from '../types';

const rank: Record<Mode, number> = { off: 0, learn: 1, monitor: 2, block: 3 };

/**
 * The mode actually applied, given the policy's mode and PALISADE_MODE.
 * The environment can only downgrade (block → monitor → off) so an operator
 * can defuse a policy in an incident but never turn monitoring into blocking
 * behind the policy author's back. `learn` is its own thing: it records and
 * never blocks, so the environment may switch any active mode to it, and a
 * policy in learn mode only goes to off.
 */
export function effectiveMode(policyMode: Mode, envMode: Mode | undefined): Mode {
  if (envMode === undefined || envMode === policyMode) return policyMode;
  if (envMode === 'off') return 'off';
  if (policyMode === 'off') return 'off';
  if (envMode === 'learn') return 'learn';
  if (policyMode === 'learn') return 'learn';
  return rank[envMode] < rank[policyMode] ? envMode : policyMode;
}

/** Parses PALISADE_MODE-like text; undefined for empty or unknown values. */
export function parseMode(text: string | undefined): Mode | undefined {
  const t = text?.trim().toLowerCase();
  return t === 'block' || t === 'monitor' || t === 'learn' || t === 'off' ? t : undefined;
}
