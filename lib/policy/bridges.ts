import type { SqlDialect, SqlKind } from '../types';

/**
 * Late-bound links to the detectors' parsers. They are loaded on first use
 * (most policies never parse a shell command or SQL text), and a missing
 * parser makes the policy fail closed rather than crash the agent.
 */

export interface ShellCommand {
  argv: string[];
  assignments: string[];
  /** `dynamic`: the target's value is decided at run time (expansion, glob, substitution). */
  redirects: Array<{ op: string; target: string; dynamic?: boolean }>;
  /** Parallel to argv: the word's value is decided at run time. */
  dynamic?: boolean[];
}

/** Mirrors lib/detectors/shell.ts; `commands` includes those nested in substitutions. */
export interface ShellParse {
  commands: ShellCommand[];
  operators: string[];
  substitutions: string[];
  incomplete: boolean;
}

type ParseShell = (command: string) => ShellParse;
type AnalyzeSql = (text: string, dialect: SqlDialect) => { kind: SqlKind; multiStatement: boolean };

let parseShellFn: ParseShell | null | undefined;
let analyzeSqlFn: AnalyzeSql | null | undefined;

function load<T>(id: string, name: string): T | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(id) as Record<string, unknown>;
    return typeof mod[name] === 'function' ? (mod[name] as T) : null;
  } catch {
    return null;
  }
}

/** The shell parser, or null when lib/detectors/shell is not available. */
export function shellParser(): ParseShell | null {
  if (parseShellFn === undefined) parseShellFn = load<ParseShell>('../detectors/shell', 'parseShell');
  return parseShellFn;
}

/** SQL kind/multi-statement of `text`; without the analyser: `other`, multi-statement when a `;` is followed by more text. */
export function analyzeSqlLazy(text: string, dialect: SqlDialect): { kind: SqlKind; multiStatement: boolean } {
  if (analyzeSqlFn === undefined) analyzeSqlFn = load<AnalyzeSql>('../detectors/sql/analyze', 'analyzeSql');
  if (analyzeSqlFn) return analyzeSqlFn(text, dialect);
  const semi = text.indexOf(';');
  return { kind: 'other', multiStatement: semi !== -1 && text.slice(semi + 1).trim() !== '' };
}
