/**
 * The shared vocabulary of Palisade: operations (what a hook turns a patched
 * call into), taint inputs, detector findings and decisions. Hooks, detectors,
 * policy, reporting, learn and explain all speak in these terms, so a new sink
 * extends these types instead of inventing its own.
 */

export type Mode = 'block' | 'monitor' | 'learn' | 'off';

export type OperationName =
  | 'fs.read'
  | 'fs.write'
  | 'process.spawn'
  | 'net.connect'
  | 'sql.query'
  | 'code.eval';

export interface FsResource {
  /** Absolute, normalised path (Buffer and file: URL forms already converted). */
  path: string;
  /** The path exactly as the app passed it (before resolving), for taint matching. */
  rawPath: string;
  /** Open flags or the function's implied intent, e.g. 'r', 'w', 'a'. */
  flags?: string;
}

export interface SpawnResource {
  /** The program as the app named it (for a shell: the shell binary). */
  file: string;
  /** argv without argv[0]. For a shell: ['-c', command]. */
  args: string[];
  /** True when a shell interprets `command` (exec, execSync, shell: true). */
  shell: boolean;
  /** The full shell command string when a shell runs it. */
  command?: string;
  cwd?: string;
  envKeys?: string[];
}

export interface NetResource {
  /** Full URL when known (http/fetch/undici), without credentials. */
  url?: string;
  host: string;
  port?: number;
  protocol?: string;
  /** The IP actually connected, filled in at connect time after DNS lookup. */
  address?: string;
  /** The host exactly as the app passed it (URL host or options.host), for taint matching. */
  rawHost?: string;
}

export type SqlDialect = 'postgres' | 'mysql' | 'sqlite';
export type SqlKind = 'select' | 'insert' | 'update' | 'delete' | 'ddl' | 'dcl' | 'tx' | 'other';

export interface SqlResource {
  driver: string;
  dialect: SqlDialect;
  text: string;
  /** Filled by the SQL analyser, used by policy. */
  kind?: SqlKind;
  multiStatement?: boolean;
  /** Database identity (host/port/database or file) when the hook knows it. */
  db?: string;
}

export interface EvalResource {
  source: string;
  /** How it was evaluated: 'Function', 'eval', 'vm.Script', ... */
  via: string;
}

interface OperationBase<N extends OperationName, R> {
  name: N;
  resource: R;
  /** Module and function that were called, e.g. 'child_process' / 'exec'. */
  module: string;
  fn: string;
}

export type FsReadOperation = OperationBase<'fs.read', FsResource>;
export type FsWriteOperation = OperationBase<'fs.write', FsResource>;
export type SpawnOperation = OperationBase<'process.spawn', SpawnResource>;
export type NetOperation = OperationBase<'net.connect', NetResource>;
export type SqlOperation = OperationBase<'sql.query', SqlResource>;
export type EvalOperation = OperationBase<'code.eval', EvalResource>;

export type Operation =
  | FsReadOperation
  | FsWriteOperation
  | SpawnOperation
  | NetOperation
  | SqlOperation
  | EvalOperation;

/** Resource type for a given operation name. */
export type ResourceOf<N extends OperationName> = Extract<Operation, { name: N }>['resource'];

/**
 * One untrusted value available to detectors. Decoded forms are separate
 * inputs with the same `source` and a non-empty `decoding` chain.
 */
export interface TaintInput {
  /** Where it came from: 'query.dir', 'body.user.name', 'headers.user-agent', 'cookies.sid', 'params.id', 'path'. */
  source: string;
  /** The value as the detector should search for it (after `decoding`). */
  value: string;
  /** Decoding steps applied to the raw value, in order: [] | ['base64'] | ['url', 'base64'] ... */
  decoding: readonly string[];
  /**
   * Character classes present in `value` (the CH_* bits of lib/taint/decode.ts),
   * set at extraction so detectors can pass over inputs that cannot matter to
   * them without reading them again. Absent: unknown, and every check runs.
   */
  chars?: number;
}

export type AttackKind =
  | 'command_injection'
  | 'sql_injection'
  | 'path_traversal'
  | 'ssrf'
  | 'code_injection';

export type EventKind = AttackKind | 'policy_violation' | 'internal_error';

/** What a detector returns when an input changes the meaning of an operation. */
export interface Finding {
  kind: AttackKind;
  input: TaintInput;
  /** One short sentence for humans: "input adds shell operator ';'". */
  reason: string;
  /** Detector-specific facts (e.g. dialect, resolved address), copied into the event. */
  detail?: Record<string, string | number | boolean>;
}

/**
 * A detector is pure: given an operation's resource and the untrusted inputs
 * in scope, it says whether one of them changes the operation's meaning.
 * Linear time in payload + inputs; no backtracking regexes on untrusted text.
 */
export type Detector<N extends OperationName> = (
  resource: ResourceOf<N>,
  inputs: readonly TaintInput[],
) => Finding | undefined;

export type Action = 'allow' | 'report' | 'block';
