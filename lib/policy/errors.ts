/** One problem found while reading a policy. */
export interface PolicyProblem {
  file: string;
  /** 1-based; 0 when the position is unknown. */
  line: number;
  column: number;
  /** Field path, e.g. `allow.fs.read[2]` ('' for the whole document). */
  field: string;
  problem: string;
  hint?: string;
}

export function formatProblem(p: PolicyProblem, severity?: string): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  const sev = severity ? ` ${severity}:` : '';
  const field = p.field ? ` ${p.field}:` : '';
  return `${where}:${sev}${field} ${p.problem}${p.hint ? ` (${p.hint})` : ''}`;
}

/**
 * A policy that cannot be used: unreadable, not YAML/JSON, not valid against
 * the schema, or semantically impossible (bad glob, CIDR, regex, variable).
 * Carries every problem found, the first one in the top-level fields.
 */
export class PolicyError extends Error {
  readonly code = 'ERR_PALISADE_POLICY';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly field: string;
  readonly hint?: string;
  readonly errors: readonly PolicyProblem[];

  constructor(errors: readonly PolicyProblem[]) {
    const list = errors.length > 0 ? errors : [{ file: '<policy>', line: 0, column: 0, field: '', problem: 'invalid policy' }];
    super(list.map((p) => formatProblem(p)).join('\n'));
    this.name = 'PolicyError';
    const first = list[0]!;
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.field = first.field;
    if (first.hint !== undefined) this.hint = first.hint;
    this.errors = list;
  }
}
