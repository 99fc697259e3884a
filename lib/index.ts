import { agentState, initAgent, stopAgent, type StartResult } from './agent';
import { ConfigError, resolveConfig, type StartOptions } from './config';
import { pinTickObjectMap, runInScope, type Scope } from './context';
import { installHooks, type InstalledHooks } from './hooking';
import { hooks } from '../hooks';
import { InputList } from './taint/sources';
import { loadPolicyEngine } from './policy-loader';
import { VERSION } from './version';

export { PalisadeBlockedError, isPalisadeBlockedError } from './errors';
export { ConfigError } from './config';
export type { StartOptions, Config } from './config';
export type { StartResult } from './agent';
export type { Operation, OperationName, Mode, TaintInput, Finding, AttackKind, EventKind } from './types';
export type { PalisadeEvent } from './report';


let installed: InstalledHooks | undefined;
let started: StartResult | undefined;

/**
 * Start Palisade: resolve configuration (options over environment over
 * defaults), load the policy, install the hooks, and say in one line what
 * it is doing. Calling it again returns the running agent.
 */
export function start(options: StartOptions = {}): StartResult {
  if (started !== undefined && agentState() !== undefined) return started;
  pinTickObjectMap();
  const { config, problems } = resolveConfig(options);
  for (const p of problems) process.stderr.write(`palisade: ${p.message}\n`);
  if (problems.length > 0 && config.failClosed) {
    throw new ConfigError(problems[0]!.variable, `palisade: refusing to start (PALISADE_FAIL=closed): ${problems.map((p) => p.message).join('; ')}`);
  }
  const policy = loadPolicyEngine(config, (msg) => process.stderr.write(`palisade: ${msg}\n`));
  const s = initAgent(config, policy);
  installed ??= installHooks(hooks, (msg, extra) => s.reporter.logger.warn(extra, msg));
  s.reporter.info(
    {
      version: VERSION,
      mode: config.mode,
      modeSource: config.modeSource,
      log: config.log,
      policy: policy?.file ?? null,
      failClosed: config.failClosed,
      hooks: installed.builtins,
      node: process.version,
    },
    `palisade ${VERSION} started: mode=${config.mode} (${config.modeSource}), policy=${policy?.file ?? 'none'}, fail-${config.failClosed ? 'closed' : 'open'}`,
  );
  started = { config, problems, stop: stopAgent };
  return started;
}

/**
 * Run `fn` in an untrusted scope that is not an HTTP request: a queue
 * message, a CLI argument, a WebSocket frame, an LLM tool call. `values` is
 * flattened with `source` as the prefix ('queue.orders' → 'queue.orders.id').
 */
export function untrusted<T>(source: string, values: unknown, fn: () => T): T {
  const list = new InputList();
  list.addTree(source, values);
  // The list stays on the cache for its overflow (what extraction's bounds left out: lib/taint/overflow.ts).
  const scope: Scope = { fixedInputs: list.items, label: source, cache: { list, nonWordOf: list.items, nonWord: list.nonWord } };
  return runInScope(scope, fn);
}
