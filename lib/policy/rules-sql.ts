import type { SqlKind, SqlResource } from '../types';
import { analyzeSqlLazy } from './bridges';
import type { PathSeg } from './positions';
import { allowVerdict, type CompileCtx, type CompiledRule, type RuleHeader } from './rule';
import { anyMatcher } from './wildcard';

export interface SqlSubject {
  kind: SqlKind;
  multi: boolean;
  dialect: string;
  driver: string;
  db: string;
}

/**
 * Uses what is filled in; analyses the text only when it is not, and keeps
 * the result on the resource (later rules and the event reuse it).
 */
export function sqlSubject(res: SqlResource): SqlSubject {
  if (res.kind === undefined || res.multiStatement === undefined) {
    const a = analyzeSqlLazy(res.text, res.dialect);
    res.kind ??= a.kind;
    res.multiStatement ??= a.multiStatement;
  }
  return { kind: res.kind, multi: res.multiStatement, dialect: res.dialect, driver: res.driver, db: res.db ?? '' };
}

interface SqlRuleObj {
  kinds?: SqlKind[];
  multiStatement?: boolean;
  dialect?: string;
  driver?: string | string[];
  db?: string | string[];
}

export function compileSqlRule(raw: unknown, h: RuleHeader, ctx: CompileCtx, at: readonly PathSeg[]): CompiledRule<SqlSubject> | undefined {
  const obj = raw as SqlRuleObj;
  const kinds = obj.kinds ? new Set<string>(obj.kinds) : undefined;
  const drivers = obj.driver !== undefined ? ctx.list(obj.driver, [...at, 'driver']) : undefined;
  const dbs = obj.db !== undefined ? ctx.list(obj.db, [...at, 'db']) : undefined;
  const driverM = drivers ? anyMatcher(drivers) : undefined;
  const dbM = dbs ? anyMatcher(dbs) : undefined;
  const multi = obj.multiStatement;
  const dialect = obj.dialect;

  const parts: string[] = [];
  if (obj.kinds) parts.push(`kinds ${obj.kinds.join(',')}`);
  if (multi !== undefined) parts.push(`multiStatement ${multi}`);
  if (dialect) parts.push(`dialect ${dialect}`);
  if (drivers) parts.push(`driver ${drivers.join(',')}`);
  if (dbs) parts.push(`db ${dbs.join(',')}`);
  const label = parts.length ? parts.join(', ') : 'any statement';

  const fail = (s: SqlSubject): string | undefined => {
    if (kinds && !kinds.has(s.kind)) return `kind ${s.kind} is not in ${obj.kinds!.join(',')}`;
    if (multi !== undefined && multi !== s.multi) return s.multi ? 'query has several statements' : 'query has a single statement';
    if (dialect !== undefined && dialect !== s.dialect) return `dialect ${s.dialect} is not ${dialect}`;
    if (driverM && !driverM(s.driver)) return `driver ${s.driver} does not match ${drivers!.join(',')}`;
    if (dbM && !dbM(s.db)) return `db ${s.db || '(unknown)'} does not match ${dbs!.join(',')}`;
    return undefined;
  };

  return {
    ...h,
    label,
    spec: {
      ...(obj.kinds ? { kinds: [...obj.kinds] } : {}),
      ...(multi !== undefined ? { multiStatement: multi } : {}),
      ...(dialect ? { dialect } : {}),
      ...(drivers ? { drivers } : {}),
      ...(dbs ? { dbs } : {}),
    },
    test: (s) => fail(s) === undefined,
    why: (s) => fail(s) ?? `${s.kind}${s.multi ? ' (multi-statement)' : ''} matches ${label}`,
    verdict: allowVerdict(h, label),
  };
}
