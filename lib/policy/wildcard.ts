/**
 * Linear-space, no-backtracking-explosion wildcard matching for argument
 * patterns, env names, hosts-free strings: `*` = any run of characters
 * (including `/`), `?` = one character. Untrusted text (spawn arguments) is
 * matched here, so no RegExp built from the pattern: the greedy algorithm
 * with single last-star backtracking is O(len(pattern) × len(text)) worst case.
 */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  const pl = pattern.length;
  const tl = text.length;
  while (t < tl) {
    const pc = p < pl ? pattern.charCodeAt(p) : -1;
    if (pc === 63 /* ? */ || (pc !== 42 /* * */ && pc === text.charCodeAt(t))) {
      p++;
      t++;
    } else if (pc === 42) {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pl && pattern.charCodeAt(p) === 42) p++;
  return p === pl;
}

/** A string matcher from a literal-or-wildcard pattern. */
export function stringMatcher(pattern: string, caseInsensitive = false): (s: string) => boolean {
  const pat = caseInsensitive ? pattern.toLowerCase() : pattern;
  if (!hasWildcard(pat)) return caseInsensitive ? (s) => s.toLowerCase() === pat : (s) => s === pat;
  return caseInsensitive ? (s) => wildcardMatch(pat, s.toLowerCase()) : (s) => wildcardMatch(pat, s);
}

/** Any of several patterns. */
export function anyMatcher(patterns: readonly string[], caseInsensitive = false): (s: string) => boolean {
  const ms = patterns.map((p) => stringMatcher(p, caseInsensitive));
  if (ms.length === 1) return ms[0]!;
  return (s) => {
    for (const m of ms) if (m(s)) return true;
    return false;
  };
}

export type ArgPattern =
  | { kind: 'one'; text: string }
  | { kind: 'rest'; text: string }
  | { kind: 'literal'; text: string }
  | { kind: 'glob'; text: string }
  | { kind: 'regex'; text: string; re: RegExp };

/** `?` one argument, `...`/`**` any number, `/re/flags` whole-argument regex, globs, literals. */
export function compileArgPattern(text: string): ArgPattern | { error: string } {
  if (text === '?' || text === '*') return { kind: 'one', text };
  if (text === '...' || text === '**') return { kind: 'rest', text };
  const m = /^\/(.*)\/([a-z]*)$/s.exec(text);
  if (m && text.length >= 2) {
    try {
      // Anchored so that a regex describes the whole argument, not a substring of it.
      return { kind: 'regex', text, re: new RegExp(`^(?:${m[1]})$`, m[2]!.replace(/[gy]/g, '')) };
    } catch (e) {
      return { error: `invalid regular expression ${text}: ${(e as Error).message}` };
    }
  }
  if (hasWildcard(text)) return { kind: 'glob', text };
  return { kind: 'literal', text };
}

function matchOne(p: ArgPattern, arg: string): boolean {
  switch (p.kind) {
    case 'one':
      return true;
    case 'literal':
      return p.text === arg;
    case 'glob':
      return wildcardMatch(p.text, arg);
    case 'regex':
      return p.re.test(arg);
    default:
      return false;
  }
}

/**
 * Matches an argument vector; `rest` patterns may appear anywhere. Same greedy algorithm as wildcardMatch.
 * An argument flagged dynamic (value decided at run time) is only ever consumed by a `rest` pattern.
 */
export function matchArgs(pats: readonly ArgPattern[], args: readonly string[], dynamic?: readonly boolean[]): boolean {
  let p = 0;
  let a = 0;
  let star = -1;
  let mark = 0;
  while (a < args.length) {
    const pat = pats[p];
    if (pat !== undefined && pat.kind !== 'rest' && dynamic?.[a] !== true && matchOne(pat, args[a]!)) {
      p++;
      a++;
    } else if (pat !== undefined && pat.kind === 'rest') {
      star = p++;
      mark = a;
    } else if (star !== -1) {
      p = star + 1;
      a = ++mark;
    } else {
      return false;
    }
  }
  while (p < pats.length && pats[p]!.kind === 'rest') p++;
  return p === pats.length;
}
