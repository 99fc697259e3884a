import type { Document, LineCounter, Node } from 'yaml';

export type PathSeg = string | number;

/** Finds the line:column of a document path; `key` points at the map key rather than its value. */
export interface Locator {
  locate(path: readonly PathSeg[], key?: boolean): { line: number; column: number };
}

export const noLocator: Locator = { locate: () => ({ line: 0, column: 0 }) };

const plainKey = /^[A-Za-z_$][A-Za-z0-9_$.-]*$/;

/** `allow.fs.read[2]`, `routes["POST /upload"].allow`, `packages["@scope/*"]`. */
export function fieldOf(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (plainKey.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Parses a JSON pointer (ajv instancePath) into path segments, numbers for array indexes. */
export function pointerToPath(pointer: string, root: unknown): PathSeg[] {
  if (pointer === '') return [];
  const out: PathSeg[] = [];
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

export function yamlLocator(doc: Document, lc: LineCounter): Locator {
  // yaml is loaded already (the caller parsed `doc` with it); see loadPolicyText.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isMap, isPair, isScalar, isSeq } = require('yaml') as typeof import('yaml');
  const pos = (offset: number | undefined): { line: number; column: number } => {
    if (offset === undefined) return { line: 0, column: 0 };
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  return {
    locate(path, key = false) {
      let node: unknown = doc.contents;
      let last: { line: number; column: number } = pos((doc.contents as Node | null)?.range?.[0]);
      for (let i = 0; i < path.length; i++) {
        const seg = path[i];
        if (isMap(node)) {
          const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
          if (!pair) return last;
          const isLast = i === path.length - 1;
          if (isLast && key && isScalar(pair.key)) return pos(pair.key.range?.[0]);
          node = pair.value;
          const r = (pair.value as Node | null)?.range ?? (isScalar(pair.key) ? pair.key.range : undefined);
          last = pos(r?.[0]);
        } else if (isSeq(node) && typeof seg === 'number') {
          const item = node.items[seg] as Node | undefined;
          if (!item) return last;
          node = item;
          last = pos(item.range?.[0]);
        } else {
          return last;
        }
      }
      return last;
    },
  };
}
