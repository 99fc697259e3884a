import { resolveConfig, type Config, type ConfigError } from './config';
import { currentScope, type Scope } from './context';
import { actionFor } from './decide';
import { attackKindOf, detectorFor } from './detectors';
import { analyzeSql } from './detectors/sql/analyze';
import { MAX_CLIMBS, climbFinding, pathClimb } from './detectors/path';
import { PalisadeBlockedError } from './errors';
import { Reporter } from './report';
import { hasOverflow, inputsOf, nonWordInputsOf, overflowInputsOf } from './taint';
import type { AttackKind, Finding, Mode, Operation, OperationName } from './types';
import { callerFrom, callerPackage, captureFrames, decidedLook, firstLookDepth, isBuiltinTransparent, type FirstLook, type Frame } from './stack';
import type { PolicyEngine } from './policy-engine';

/**
 * The agent: the state `start()` builds and the one entry point every hook
 * calls, `inspect(operation)`. Hooks know nothing of modes, policies or
 * logging; they turn a call into an Operation and deliver whatever error
 * comes back in their API's own convention.
 */

interface AgentState {
  config: Config;
  reporter: Reporter;
  policy: PolicyEngine | undefined;
  /** Operations that are inspected even outside a request (policy sections, metadata SSRF), as `opBit`s. */
  alwaysInspect: number;
  /**
   * Operations that are judged at all, as `opBit`s: their detector's kind is
   * not `off`, or the policy has rules for them. The others skip everything,
   * inside a request too: a kind switched off costs nothing (no extraction,
   * no check). alwaysInspect is a subset.
   */
  judged: number;
  /** Operations whose policy verdict can depend on the calling package (`callerLookDepth`), as `opBit`s. */
  needsCaller: number;
  /** Operations whose detector runs (its kind is not `off`). */
  detected: Set<OperationName>;
}

let state: AgentState | undefined;

export function agentState(): AgentState | undefined {
  return state;
}

export interface StartResult {
  config: Config;
  problems: ConfigError[];
  /** Stop reporting and enforcing (hooks stay installed but pass through). */
  stop(): void;
}

export function initAgent(config: Config, policy: PolicyEngine | undefined): AgentState {
  const reporter = new Reporter({ log: config.log, eventsPerSecond: config.eventsPerSecond, trustProxy: config.trustProxy });
  let alwaysInspect = 0;
  let judged = 0;
  let needsCaller = 0;
  const detected = new Set<OperationName>();
  for (const op of ['fs.read', 'fs.write', 'process.spawn', 'net.connect', 'sql.query', 'code.eval'] as const) {
    // Without a policy every detector runs and the global mode (read per call) decides.
    if (policy === undefined || policy.injectionMode(attackKindOf(op)) !== 'off') {
      detected.add(op);
      judged |= opBit(op);
    }
    if (policy?.restricts(op) === true) {
      alwaysInspect |= opBit(op);
      judged |= opBit(op);
      if (policy.needsPackage(op)) needsCaller |= opBit(op);
    }
  }
  // Cloud-metadata addresses are reported even outside a request: a
  // compromised dependency needs no request input to steal credentials.
  if (detected.has('net.connect')) alwaysInspect |= opBit('net.connect');
  state = { config, reporter, policy, alwaysInspect, judged, needsCaller, detected };
  return state;
}

export function stopAgent(): void {
  state = undefined;
}

export { resolveConfig };

/**
 * One bit per operation. The fast path tests masks rather than Sets: every
 * patched call asks, and a Set lookup is a builtin call (~50 instructions,
 * two for the fs hooks' read-or-write question). A switch on the name folds
 * to a constant where the caller passes one.
 */
export function opBit(name: OperationName): number {
  switch (name) {
    case 'fs.read':
      return 1;
    case 'fs.write':
      return 2;
    case 'process.spawn':
      return 4;
    case 'net.connect':
      return 8;
    case 'sql.query':
      return 16;
    case 'code.eval':
      return 32;
  }
}

/**
 * Fast-path test for hooks: false means "call the original, do nothing
 * else". Reads AsyncLocalStorage only when the answer depends on the scope:
 * the operation is judged in a request but not outside one.
 */
export function shouldInspect(name: OperationName): boolean {
  return shouldInspectAny(opBit(name));
}

/**
 * `shouldInspect` for any of the operations in `mask` (`opBit`s), with at
 * most one AsyncLocalStorage read: the fs hooks ask for reads and writes
 * alike, on every fs call the app makes.
 */
export function shouldInspectAny(mask: number): boolean {
  const s = running();
  if (s === undefined || (s.judged & mask) === 0) return false;
  return (s.alwaysInspect & mask) !== 0 || currentScope() !== undefined;
}

/** The agent, when it is started and not off. */
function running(): AgentState | undefined {
  const s = state;
  return s !== undefined && s.config.mode !== 'off' ? s : undefined;
}

/**
 * Whether the call `inspect` last allowed was attributed (the policy needed its caller), and to whom: see
 * `lastCaller`. Two fields rather than an object, as most judged calls never ask.
 */
let allowedAttributed = false;
let allowedPackage: string | undefined;

/** `inspection`'s answer for "call the original, do nothing else". */
export const SKIP: unique symbol = Symbol('palisade.skip');

/**
 * `shouldInspect` for `check`, which also needs the scope: SKIP, or the scope
 * to judge in (undefined outside a request). One AsyncLocalStorage read
 * serves both, rather than one here and one in `inspect`: in an app under
 * load each read costs ~0.2 µs (the store sits on whatever async resource is
 * current, a megamorphic property load).
 */
export function inspection(name: OperationName): Scope | undefined | typeof SKIP {
  // A call that is not judged leaves no caller for `lastCaller` to hand out: not an earlier call's.
  allowedAttributed = false;
  const s = running();
  const bit = opBit(name);
  if (s === undefined || (s.judged & bit) === 0) return SKIP;
  const scope = currentScope();
  return scope !== undefined || (s.alwaysInspect & bit) !== 0 ? scope : SKIP;
}

/** Whether servers should open request scopes at all (started and not off). Hooks ask this instead of reading modes. */
export function scopesEnabled(): boolean {
  return running() !== undefined;
}

/** How many bytes of a plain-http request body may be copied for taint. */
export function bodyTapLimit(): number {
  return state?.config.maxBodyBytes ?? 0;
}

/** Whether calls through this package count as its caller's: the policy's transparent packages, else the built-in ones. */
export function isTransparentPackage(name: string): boolean {
  const declared = state?.policy?.transparentPackages;
  return declared !== undefined ? declared.has(name) : isBuiltinTransparent(name);
}

/** Whether the loaded policy has rules for this operation (some hooks must then keep exact facts, e.g. addresses). */
export function policyRestricts(name: OperationName): boolean {
  return state?.policy?.restricts(name) === true;
}

const reportedInternal = new Set<string>();

/** An error inside Palisade: report once per site, then fail open (or closed if configured). */
export function internalError(err: unknown, op?: Operation): PalisadeBlockedError | undefined {
  const s = state;
  if (s === undefined) return undefined;
  const e = err instanceof Error ? err : new Error(String(err));
  const site = `${e.message}|${(e.stack ?? '').split('\n')[1] ?? ''}`;
  let eventId = 'internal';
  if (!reportedInternal.has(site) && reportedInternal.size < 100) {
    reportedInternal.add(site);
    try {
      eventId = s.reporter.event({
        mode: s.config.mode,
        action: 'error',
        kind: 'internal_error',
        op,
        reason: `internal error in Palisade (${s.config.failClosed ? 'failing closed' : 'call proceeds'}): ${e.message}`,
        detail: { stack: (e.stack ?? '').split('\n').slice(0, 6).join('\n') },
        frames: [],
      });
    } catch {
      /* the reporter itself failed: nothing more we can safely do */
    }
  }
  if (s.config.failClosed && op !== undefined) {
    return new PalisadeBlockedError('policy_violation', op.name, eventId, 'internal error with fail-closed configured');
  }
  return undefined;
}

/** Test seam: force a fault inside inspect() to prove fail-open. */
let faultInjector: ((op: Operation) => void) | undefined;
export function __setFaultInjector(f: ((op: Operation) => void) | undefined): void {
  faultInjector = f;
}

/**
 * Judge one operation in `scope` (what `inspection` found; undefined outside
 * a request). Returns the error to deliver when the call must not happen,
 * undefined when it proceeds. Never throws.
 */
export function inspect(op: Operation, caller: FirstLook | undefined, scope: Scope | undefined): PalisadeBlockedError | undefined {
  const s = state;
  if (s === undefined) return undefined;
  try {
    if (faultInjector !== undefined) faultInjector(op);
    if (s.detected.has(op.name)) {
      // Outside a request only what needs no taint: cloud-metadata access.
      const finding = scope !== undefined ? runDetector(op, scope) : op.name === 'net.connect' ? outsideRequestFinding(op) : undefined;
      if (finding !== undefined) {
        const err = onFinding(s, op, scope, finding);
        if (err !== undefined) return err;
      }
    }
    if (s.policy !== undefined && s.policy.restricts(op.name)) {
      return onPolicy(s, s.policy, op, scope, caller);
    }
    return undefined;
  } catch (err) {
    return internalError(err, op);
  }
}

/**
 * How deep the hook's entry point (`check`, or a wrapper that captures for it: `sitesHolder` in hooking.ts)
 * should look at the stack for the calling package: 0 when the policy's verdict for `name` cannot depend on
 * the package (then `inspect` reads the stack itself if it must). `key` names the place the capture is taken
 * from, whose depth to the caller is learned apart (a wrapper sits a frame or two nearer the caller than
 * `check`). See `check` for why the capture happens there.
 */
export function callerLookDepth(name: OperationName, key: string = name): number {
  // A mask test, not the policy's methods: wrappers ask on every judged call, before `check` asks again.
  // running(): with mode off nothing is judged, and a wrapper asking before `check` must not read the stack.
  const s = running();
  return s === undefined || (s.needsCaller & opBit(name)) === 0 ? 0 : firstLookDepth(key);
}

/**
 * The caller of a call being made now, for a check that will run later in a callback of Node's, where no
 * frame of the caller's is left on the stack (`checkAs` in hooking.ts). Undefined when the policy's verdict
 * for `name` cannot depend on the package. `anchor` is the hook's wrapper, on the stack now.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function callerNow(name: OperationName, anchor: Function): FirstLook | undefined {
  if (callerLookDepth(name) === 0) return undefined;
  try {
    return decidedLook(callerPackage(state?.policy?.transparentPackages, anchor, name));
  } catch (err) {
    internalError(err);
    return undefined;
  }
}

function runDetector(op: Operation, scope: Scope): Finding | undefined {
  const detect = detectorFor(op.name);
  if (detect === undefined) return undefined;
  // The SQL check passes over words (isOneWord in detectors/sql): it is given the rest only.
  let inputs = op.name === 'sql.query' ? nonWordInputsOf(scope) : inputsOf(scope);
  if (hasOverflow(scope)) {
    const more = overflowInputsOf(scope, textsOf(op), op.name === 'sql.query');
    if (more.length > 0) inputs = inputs.concat(more);
  }
  if (inputs.length === 0) return undefined;
  const f = detect(op.resource, inputs);
  if (f !== undefined || scope.climbs === undefined) return f;
  return op.name === 'fs.read' || op.name === 'fs.write' ? climbFinding(op.resource, scope.climbs) : undefined;
}

/** The texts of a sink call in which a request's values may occur: where overflow values are looked for. */
function textsOf(op: Operation): readonly string[] {
  switch (op.name) {
    case 'sql.query':
      return [op.resource.text];
    case 'fs.read':
    case 'fs.write':
      return [op.resource.rawPath, op.resource.path];
    case 'process.spawn': {
      const r = op.resource;
      return r.command !== undefined ? [r.command, r.file, ...r.args] : [r.file, ...r.args];
    }
    case 'net.connect': {
      const r = op.resource;
      return [r.url ?? '', r.rawHost ?? '', r.host];
    }
    case 'code.eval':
      return [op.resource.source];
  }
}

/**
 * A node:path call (hooks/path.ts) with '..' in an argument: if a request input's climb took it out of the
 * directory the app chose, keep that on the scope for the fs check (climbFinding). Never throws.
 */
export function notePathCall(fn: string, build: (...parts: string[]) => string, args: readonly unknown[], out: string): void {
  const s = running();
  if (s === undefined || (!s.detected.has('fs.read') && !s.detected.has('fs.write'))) return;
  const scope = currentScope();
  if (scope === undefined || (scope.climbs !== undefined && scope.climbs.length >= MAX_CLIMBS)) return;
  try {
    let inputs = inputsOf(scope);
    if (hasOverflow(scope)) {
      const more = overflowInputsOf(scope, args.filter((a): a is string => typeof a === 'string'), false);
      if (more.length > 0) inputs = inputs.concat(more);
    }
    if (inputs.length === 0) return;
    const climb = pathClimb(fn, build, args, out, inputs);
    if (climb !== undefined) (scope.climbs ??= []).push(climb);
  } catch (err) {
    internalError(err);
  }
}

/** Findings that need no taint: cloud-metadata access from anywhere. */
let outsideRequest: ((op: Operation) => Finding | undefined) | undefined;
export function setOutsideRequestDetector(f: (op: Operation) => Finding | undefined): void {
  outsideRequest = f;
}
function outsideRequestFinding(op: Operation): Finding | undefined {
  return outsideRequest?.(op);
}

/** Without a policy the global mode applies; with one, its per-kind switch (already clamped by the environment). */
function injectionMode(s: AgentState, kind: AttackKind): Mode {
  return s.policy === undefined ? s.config.mode : s.policy.injectionMode(kind);
}

/** Hooks leave out what only events and policies read; an event fills it in. */
function completeForEvent(op: Operation): Operation {
  if (op.name === 'sql.query') {
    const r = op.resource;
    if (r.kind === undefined || r.multiStatement === undefined) {
      const a = analyzeSql(r.text, r.dialect);
      r.kind ??= a.kind;
      r.multiStatement ??= a.multiStatement;
    }
  }
  return op;
}

function onFinding(s: AgentState, op: Operation, scope: Scope | undefined, f: Finding): PalisadeBlockedError | undefined {
  let mode = injectionMode(s, f.kind);
  // Outside a request (cloud metadata from startup code or a timer) blocking is opt-in:
  // SDKs fetch instance credentials this way, and Palisade must not break them by default.
  if (scope === undefined && s.config.metadata === 'report' && mode === 'block') mode = 'monitor';
  const action = actionFor(mode);
  if (action === 'allow') return undefined;
  const eventId = s.reporter.event({
    mode,
    action,
    kind: f.kind,
    op: completeForEvent(op),
    reason: f.reason,
    input: f.input,
    rule: `injection.${f.kind}`,
    scope,
    detail: f.detail,
  });
  return action === 'block' ? new PalisadeBlockedError(f.kind, op.name, eventId, f.reason) : undefined;
}

/**
 * The caller of the call the hook's `check` has just allowed, when the policy needed it: for a hook whose
 * request goes on to make more calls later, from other frames (fetch's redirect hops and connects), so that
 * they are judged as the same caller's (`checkAs`). Read once, right after `check`.
 */
export function lastCaller(): FirstLook | undefined {
  if (!allowedAttributed) return undefined;
  allowedAttributed = false;
  return decidedLook(allowedPackage);
}

function onPolicy(s: AgentState, policy: PolicyEngine, op: Operation, scope: Scope | undefined, caller: FirstLook | undefined): PalisadeBlockedError | undefined {
  // Attribution reads the stack only as far as it must; full frames are captured only for an event.
  const needed = policy.needsPackage(op.name);
  const pkg = !needed
    ? undefined
    : caller !== undefined
      ? callerFrom(caller, policy.transparentPackages, op.name)
      : callerPackage(policy.transparentPackages, inspect);
  const verdict = policy.evaluate(op, { package: pkg, scope });
  if (verdict === undefined || verdict.decision === 'allow') {
    policy.observe?.(op, pkg, scope);
    if (needed) {
      allowedAttributed = true;
      allowedPackage = pkg;
    }
    return undefined;
  }
  // The verdict's mode is the deciding rule's (rule → section → scope → policy), already clamped by the environment.
  const mode = verdict.mode;
  const action = actionFor(mode);
  if (action === 'allow') return undefined;
  const frames: Frame[] = captureFrames();
  const eventId = s.reporter.event({
    mode,
    action,
    kind: 'policy_violation',
    op: completeForEvent(op),
    reason: verdict.reason,
    rule: verdict.ruleId,
    policyScope: verdict.scope,
    package: pkg,
    scope,
    frames,
  });
  return action === 'block' ? new PalisadeBlockedError('policy_violation', op.name, eventId, verdict.reason) : undefined;
}
