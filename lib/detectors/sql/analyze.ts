import type { SqlDialect, SqlKind } from '../../types';
import { SqlLexer, TK, type TokenKind } from './tokenizer';

/**
 * Statement kinds for the policy engine: what each statement in a query text
 * does, and whether the text holds more than one. Works on tokens, so
 * keywords inside literals, identifiers and comments never count.
 */

export interface SqlAnalysis {
  /**
   * The most consequential kind in the text, by the order
   * select < tx < insert < update < delete < other < dcl < ddl.
   * Transaction control is ignored when the text also does something else,
   * so `BEGIN; INSERT …; COMMIT` is an insert.
   */
  kind: SqlKind;
  /** True when the text holds two or more non-empty statements. */
  multiStatement: boolean;
  /** The kind of each non-empty statement, in order. */
  kinds: readonly SqlKind[];
}

const RANK: Record<SqlKind, number> = { select: 0, tx: 1, insert: 2, update: 3, delete: 4, other: 5, dcl: 6, ddl: 7 };

/** A compact token list (kinds and bounds only) of the text, comments dropped. */
interface Toks {
  text: string;
  dialect: SqlDialect;
  kind: TokenKind[];
  start: number[];
  end: number[];
}

/*
 * Answers by query text: an app sends the same texts over and over
 * (parameterised queries exactly), and looking one up hashes it once where
 * analysing it lexes it. Bounded, since texts built from input vary; the
 * results are shared, so frozen.
 */
const analysed: Record<SqlDialect, Map<string, SqlAnalysis>> = { postgres: new Map(), mysql: new Map(), sqlite: new Map() };
const ANALYSED_MAX = 256;
const ANALYSED_MAX_TEXT = 4096;

export function analyzeSql(text: string, dialect: SqlDialect): SqlAnalysis {
  const cache = typeof text === 'string' && text.length <= ANALYSED_MAX_TEXT ? analysed[dialect] : undefined;
  let a = cache?.get(text);
  if (a !== undefined) return a;
  a = analyzeUncached(text, dialect);
  Object.freeze(a.kinds);
  Object.freeze(a);
  if (cache !== undefined) {
    if (cache.size >= ANALYSED_MAX) cache.clear();
    cache.set(text, a);
  }
  return a;
}

function analyzeUncached(text: string, dialect: SqlDialect): SqlAnalysis {
  const toks = collect(text, dialect);
  const kinds: SqlKind[] = [];
  let from = 0;
  let depth = 0;
  let inCreate = false;
  for (let i = 0; i <= toks.kind.length; i++) {
    const k = i < toks.kind.length ? toks.kind[i] : TK.SEMI;
    if (i === from && k === TK.WORD) inCreate = word(toks, i) === 'CREATE';
    if (inCreate && k === TK.WORD) {
      // Trigger and routine bodies (SQLite, MySQL, PostgreSQL BEGIN ATOMIC) hold ';' of their own.
      const w = word(toks, i);
      if (w === 'BEGIN' || w === 'CASE') depth++;
      else if (w === 'END' && depth > 0) {
        const nx = word(toks, i + 1);
        if (nx !== 'IF' && nx !== 'LOOP' && nx !== 'WHILE' && nx !== 'REPEAT') depth--;
      }
    }
    if (k === TK.SEMI && (depth === 0 || i === toks.kind.length)) {
      if (i > from) kinds.push(classify(toks, from, i));
      from = i + 1;
      depth = 0;
      inCreate = false;
    }
  }
  let kind: SqlKind = 'other';
  if (kinds.length > 0) {
    let best = -1;
    for (const k of kinds) {
      if (k === 'tx' && kinds.length > 1) continue;
      if (RANK[k] > best) {
        best = RANK[k];
        kind = k;
      }
    }
    if (best < 0) kind = 'tx';
  }
  return { kind, multiStatement: kinds.length > 1, kinds };
}

function collect(text: string, dialect: SqlDialect): Toks {
  const lx = new SqlLexer().reset(typeof text === 'string' ? text : '', dialect);
  const toks: Toks = { text: lx.text, dialect, kind: [], start: [], end: [] };
  for (let k = lx.next(); k !== TK.EOF; k = lx.next()) {
    if (k === TK.COMMENT) continue;
    toks.kind.push(k);
    toks.start.push(lx.start);
    toks.end.push(lx.end);
  }
  return toks;
}

/** Upper-cased keyword at `i`, or '' when it is not a (short) bare word. */
function word(toks: Toks, i: number): string {
  if (i >= toks.kind.length || toks.kind[i] !== TK.WORD) return '';
  const s = toks.start[i];
  const e = toks.end[i];
  return e - s > 16 ? '' : toks.text.slice(s, e).toUpperCase();
}

/** Is token `i` the bare keyword `upper` (case-insensitive)? Allocation-free, for scans over every token. */
function is(toks: Toks, i: number, upper: string): boolean {
  if (i >= toks.kind.length || toks.kind[i] !== TK.WORD) return false;
  const s = toks.start[i];
  if (toks.end[i] - s !== upper.length) return false;
  for (let k = 0; k < upper.length; k++) if ((toks.text.charCodeAt(s + k) & ~32) !== upper.charCodeAt(k)) return false;
  return true;
}

const MAIN = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'VALUES', 'TABLE', 'REPLACE', 'UPSERT']);

function classify(toks: Toks, from: number, to: number): SqlKind {
  let i = from;
  while (i < to && toks.kind[i] === TK.LPAREN) i++;
  const w = word(toks, i);
  switch (w) {
    case 'SELECT':
    case 'VALUES':
    case 'TABLE':
      return selectKind(toks, i, to);
    case 'WITH':
      return withKind(toks, i + 1, to);
    case 'INSERT':
    case 'REPLACE':
    case 'UPSERT':
      return 'insert';
    case 'UPDATE':
      return 'update';
    case 'DELETE':
      return 'delete';
    case 'MERGE':
      return mergeKind(toks, i, to);
    case 'CREATE':
    case 'ALTER':
    case 'DROP': {
      const target = word(toks, i + 1);
      return target === 'USER' || target === 'ROLE' || target === 'GROUP' ? 'dcl' : 'ddl';
    }
    case 'TRUNCATE':
    case 'RENAME':
    case 'COMMENT':
      return 'ddl';
    case 'GRANT':
    case 'REVOKE':
      return 'dcl';
    case 'SET': {
      const a = word(toks, i + 1);
      const b = word(toks, i + 2);
      if (a === 'ROLE' || a === 'PASSWORD' || (a === 'DEFAULT' && b === 'ROLE')) return 'dcl';
      if ((a === 'SESSION' || a === 'LOCAL') && (b === 'AUTHORIZATION' || b === 'ROLE')) return 'dcl';
      if (a === 'TRANSACTION' || (a === 'SESSION' && b === 'CHARACTERISTICS')) return 'tx';
      return 'other';
    }
    case 'BEGIN':
    case 'COMMIT':
    case 'ROLLBACK':
    case 'SAVEPOINT':
    case 'RELEASE':
    case 'END':
    case 'ABORT':
    case 'XA':
      return 'tx';
    case 'START':
      return word(toks, i + 1) === 'TRANSACTION' ? 'tx' : 'other';
    case 'PREPARE':
      return word(toks, i + 1) === 'TRANSACTION' ? 'tx' : 'other';
    case 'EXPLAIN':
    case 'DESCRIBE':
    case 'DESC':
      // EXPLAIN ANALYZE runs the statement, so it is judged as that statement.
      for (let j = i + 1; j < to; j++) {
        const inner = word(toks, j);
        if (inner === 'WITH' || MAIN.has(inner)) return classify(toks, j, to);
      }
      return 'other';
  }
  return 'other';
}

/** SELECT … INTO OUTFILE writes a file; PostgreSQL's SELECT … INTO t creates a table. */
function selectKind(toks: Toks, from: number, to: number): SqlKind {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const k = toks.kind[i];
    if (k === TK.LPAREN) depth++;
    else if (k === TK.RPAREN) depth--;
    else if (depth === 0 && is(toks, i, 'INTO')) {
      const nx = word(toks, i + 1);
      if (nx === 'OUTFILE' || nx === 'DUMPFILE') return 'other';
      if (toks.dialect === 'postgres' && (toks.kind[i + 1] === TK.WORD || toks.kind[i + 1] === TK.QIDENT)) return 'ddl';
    }
  }
  return 'select';
}

/** WITH …: the main statement's kind, raised by any data-modifying CTE. */
function withKind(toks: Toks, from: number, to: number): SqlKind {
  let depth = 0;
  let kind: SqlKind | undefined;
  let main: SqlKind | undefined;
  for (let i = from; i < to && main === undefined; i++) {
    const k = toks.kind[i];
    if (k === TK.LPAREN) {
      depth++;
      if (depth === 1 && (is(toks, i - 1, 'AS') || is(toks, i - 1, 'MATERIALIZED'))) {
        const inner = word(toks, i + 1);
        if (inner === 'INSERT' || inner === 'UPDATE' || inner === 'DELETE' || inner === 'MERGE') {
          const ik = classify(toks, i + 1, to);
          if (kind === undefined || RANK[ik] > RANK[kind]) kind = ik;
        }
      }
    } else if (k === TK.RPAREN) depth--;
    else if (depth === 0 && k === TK.WORD && toks.end[i] - toks.start[i] <= 7 && MAIN.has(word(toks, i))) main = classify(toks, i, to);
  }
  const m = main ?? 'other';
  return kind !== undefined && RANK[kind] > RANK[m] ? kind : m;
}

function mergeKind(toks: Toks, from: number, to: number): SqlKind {
  let kind: SqlKind | undefined;
  for (let i = from; i + 1 < to; i++) {
    if (!is(toks, i, 'THEN')) continue;
    const action = word(toks, i + 1);
    const k: SqlKind | undefined =
      action === 'DELETE' ? 'delete' : action === 'UPDATE' ? 'update' : action === 'INSERT' ? 'insert' : undefined;
    if (k !== undefined && (kind === undefined || RANK[k] > RANK[kind])) kind = k;
  }
  return kind ?? 'update';
}
