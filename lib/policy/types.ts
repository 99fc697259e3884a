import type { Mode, OperationName } from '../types';

/** Where something was written in the policy file (1-based; 0 when unknown, e.g. a policy built in code). */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
  /** Field path in the document, e.g. `allow.fs.read[2]`. */
  field: string;
}

/** Request/caller facts the agent knows at the time of the call. */
export interface EvalContext {
  /** npm package the call is attributed to; undefined = application code (or not captured). */
  package?: string;
  /** HTTP method of the request being handled. */
  method?: string;
  /** Concrete request path, without the query string. */
  path?: string;
  /** Route template from the framework, e.g. `/users/:id`, when known. */
  route?: string;
}

export type Effect = 'allow' | 'deny';

/** One rule (or built-in/default step) considered while evaluating, for `explain`. */
export interface ExplainStep {
  ruleId: string;
  /** `global`, `package:<pattern>`, `route:<METHOD /path>`, `exception`, `builtin`, `default`. */
  scope: string;
  effect: Effect | 'exception' | 'default';
  matched: boolean;
  /** Why it matched or not, or why it was skipped. */
  why: string;
  at?: SourcePos;
}

export interface PolicyVerdict {
  decision: 'allow' | 'deny';
  /** The deciding rule (absent when the operation is not restricted at all). */
  ruleId?: string;
  scope: string;
  /** Mode of the deciding rule (rule → section → scope → policy), before any PALISADE_MODE downgrade. */
  mode: Mode;
  reason: string;
  /**
   * net.connect only: a CIDR rule could not be evaluated because `resource.address`
   * was absent. The decision is provisional (fail-closed when it needed the address
   * to allow); evaluate again once the connection's address is known.
   */
  needsAddress?: boolean;
  trace?: ExplainStep[];
}

export type OperationSections = Partial<Record<OperationName, unknown>>;
