import * as path from 'node:path';
import picomatch from 'picomatch';
import type { FsResource } from '../types';
import type { PathSeg } from './positions';
import { realpathPrefix } from './realpath';
import { allowVerdict, type CompileCtx, type CompiledRule, type RuleHeader } from './rule';

export interface FsSubject {
  /** The path as the hook resolved it. */
  lex: string;
  /** The path with symlinks resolved (longest existing prefix). */
  real: string;
}

export function fsSubject(res: FsResource): FsSubject {
  const lex = path.resolve(res.path);
  return { lex, real: realpathPrefix(lex) };
}

export function fsSubjectOfPath(p: string, cwd: string): FsSubject {
  const lex = path.resolve(cwd, p);
  return { lex, real: realpathPrefix(lex) };
}

const pmOptions = { dot: true } as const;

/**
 * A path glob and its symlink-resolved twin: `/tmp/**` also matches the
 * real path when /tmp is itself a symlink (macOS /private/tmp).
 */
export function compilePathGlobs(
  patterns: readonly string[],
  ctx: CompileCtx,
  path0: readonly PathSeg[],
): { match: (p: string) => boolean; shown: string[] } | undefined {
  const all: string[] = [];
  const shown: string[] = [];
  let ok = true;
  patterns.forEach((pat0, i) => {
    let pat = pat0.length > 1 && pat0.endsWith('/') ? pat0.slice(0, -1) : pat0;
    if (!path.isAbsolute(pat) && !pat.startsWith('**')) {
      ctx.problem([...path0, ...(patterns.length > 1 ? [i] : [])], `path glob "${pat0}" is not absolute`, 'start it with / or ${APP_ROOT}/, or with ** to match anywhere');
      ok = false;
      return;
    }
    if (pat.startsWith('**') === false) pat = path.normalize(pat);
    all.push(pat);
    let real = pat;
    if (!pat.startsWith('**')) {
      const scan = picomatch.scan(pat);
      const base = scan.base === '' ? '/' : scan.base;
      const realBase = realpathPrefix(base);
      if (realBase !== base) {
        real = scan.isGlob ? `${realBase.replace(/\/$/, '')}/${scan.glob}` : realBase;
        all.push(real);
      }
    }
    shown.push(real !== pat ? `${pat} (real: ${real})` : pat);
  });
  if (!ok) return undefined;
  try {
    const pm = picomatch(all, pmOptions);
    const needs = all.map(necessaryText);
    if (needs.some((n) => n === undefined)) return { match: pm, shown };
    // Most paths a rule sees cannot match it (an app's reads against `**/.ssh/**`), and a glob's
    // regular expression costs ~2 k instructions per test: a text every match must contain answers first.
    const texts = needs as Array<{ prefix: boolean; text: string }>;
    const match = (p: string): boolean => {
      for (let i = 0; i < texts.length; i++) {
        const t = texts[i]!;
        if (t.prefix ? p.startsWith(t.text) : p.includes(t.text)) return pm(p);
      }
      return false;
    };
    return { match, shown };
  } catch (e) {
    ctx.problem(path0, `invalid path glob: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * A text that every path matching the (normalised, absolute or `**`-led)
 * glob `pat` contains: its literal base directory as picomatch scans it, as
 * a prefix (`/srv/app` for `/srv/app/**`, which also matches `/srv/app`
 * itself), or else, for a glob with no base, its longest segment without a
 * wildcard (`.ssh` in the credentials deny-list's ssh glob). Undefined for a
 * negated glob, one with escapes, or one with no base whose syntax is harder
 * to bound (braces, brackets, extglobs).
 */
export function necessaryText(pat: string): { prefix: boolean; text: string } | undefined {
  const scan = picomatch.scan(pat);
  if (scan.negated || pat.includes('\\')) return undefined;
  if (scan.base !== '' && scan.base !== '/') return { prefix: true, text: scan.base };
  if (/[{}[\]()!+@]/.test(pat)) return undefined;
  let best = '';
  for (const seg of pat.split('/')) if (!/[*?]/.test(seg) && seg.length > best.length) best = seg;
  return best === '' ? undefined : { prefix: false, text: best };
}

export function compileFsRule(raw: unknown, h: RuleHeader, ctx: CompileCtx, at: readonly PathSeg[]): CompiledRule<FsSubject> | undefined {
  const obj = typeof raw === 'string' ? { path: raw } : (raw as { path: string | string[] });
  const pathAt = typeof raw === 'string' ? at : [...at, 'path'];
  const patterns = ctx.list(obj.path, pathAt);
  if (patterns.length === 0) return undefined;
  const globs = compilePathGlobs(patterns, ctx, pathAt);
  if (!globs) return undefined;
  const { match } = globs;
  const label = `path ${globs.shown.join(', ')}`;
  const deny = h.effect === 'deny';
  return {
    ...h,
    label,
    spec: { paths: patterns },
    // Deny rules match either spelling (a symlink named like a secret is still denied);
    // allow rules only the real path, so a symlink cannot smuggle a file into an allowed tree.
    test: deny ? (s) => match(s.real) || match(s.lex) : (s) => match(s.real),
    why(s) {
      const hit = match(s.real) ? s.real : deny && match(s.lex) ? s.lex : undefined;
      const where = s.real !== s.lex ? `${s.lex} (real: ${s.real})` : s.lex;
      return hit !== undefined ? `${hit} matches ${globs.shown.join(', ')}` : `${where} does not match ${globs.shown.join(', ')}`;
    },
    verdict: allowVerdict(h, label),
  };
}
