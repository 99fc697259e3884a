import type { EvalResource } from '../types';
import type { PathSeg } from './positions';
import { allowVerdict, type CompileCtx, type CompiledRule, type RuleHeader } from './rule';
import { anyMatcher } from './wildcard';

export interface EvalSubject {
  via: string;
}

export function evalSubject(res: EvalResource): EvalSubject {
  return { via: res.via };
}

export function compileEvalRule(raw: unknown, h: RuleHeader, ctx: CompileCtx, at: readonly PathSeg[]): CompiledRule<EvalSubject> | undefined {
  const obj = (raw === true ? {} : raw) as { via?: string | string[] };
  const via = obj.via !== undefined ? ctx.list(obj.via, [...at, 'via']) : undefined;
  const m = via ? anyMatcher(via) : undefined;
  const label = via ? `via ${via.join(',')}` : 'any evaluation';
  return {
    ...h,
    label,
    spec: via ? { via } : {},
    test: (s) => m === undefined || m(s.via),
    why: (s) => (m === undefined || m(s.via) ? `${s.via} matches ${label}` : `${s.via} does not match ${via!.join(',')}`),
    verdict: allowVerdict(h, label),
  };
}
