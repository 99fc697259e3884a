/*
 * What extraction's bounds left out of a request, still judged. Extraction reads at most MAX_INPUTS inputs,
 * MAX_DEPTH levels and MAX_VALUE characters of a value (lib/taint/sources.ts), so that a hostile request cannot
 * make it the denial of service; an attacker who knows the bounds pads past them (600 fields before the payload,
 * a payload eleven levels deep, 16 KB of filler in front of it in one value). Whatever was left out is kept here
 * as it is, and a sink call looks for its values in its own texts: only a value that occurs in them becomes an
 * input, read and judged like any other. A request within the bounds has no overflow and pays one field read.
 */
import type { TaintInput } from '../types';
import { BigramIndex } from './overlap';
import { graphqlStrings, isGraphqlDocument, looksLikeJson } from './sources';

/** A part (or a long value) that extraction did not read whole: its name, and itself. */
export interface OverflowPart {
  readonly name: string;
  readonly value: unknown;
}

/** A node of an overflow part's tree: its parent and its key, from which a held value's name is built. */
export interface OverflowNode {
  readonly up: OverflowNode | undefined;
  readonly key: string | number;
}

/** The leaves of a request's overflow parts, flattened once per request: unique values, each with its first place. */
export interface OverflowLeaves {
  readonly values: string[];
  /** Where each value sat: the node of a value, or of the key the value is. */
  readonly places: OverflowNode[];
  /** 1 where the value is a key. */
  readonly isKey: Uint8Array;
  /** How many nodes the walk visited. */
  readonly visited: number;
}

/**
 * A guard, not a bound on what is judged: a request's parsed parts cannot be larger than what the app accepted,
 * and each object is visited once (a framework's body may be any object the app put there, cycles included).
 */
const MAX_NODES = 1_000_000;

/** Every string and number leaf of `parts`, and every key, once per distinct value (padding repeats cost nothing). */
export function flattenOverflow(parts: readonly OverflowPart[]): OverflowLeaves {
  const values: string[] = [];
  const places: OverflowNode[] = [];
  const keyAt: number[] = [];
  const seen = new Set<string>();
  const nodes: OverflowNode[] = [];
  const items: unknown[] = [];
  const objects = new Set<object>();
  for (const part of parts) {
    nodes.push({ up: undefined, key: part.name });
    items.push(part.value);
  }
  let visited = 0;
  while (nodes.length > 0 && visited++ < MAX_NODES) {
    const n = nodes.pop()!;
    const v = items.pop();
    const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined;
    if (s !== undefined) {
      if (s.length > 0 && !seen.has(s)) {
        seen.add(s);
        values.push(s);
        places.push(n);
        // A GraphQL document's string arguments, as extraction reads them (InputList.add), named below it.
        if ((n.up === undefined || (n.key === 'query' && n.up.up === undefined)) && isGraphqlDocument(nameOf(n, false))) {
          for (const [name, arg] of graphqlStrings(s)) {
            nodes.push({ up: n, key: name });
            items.push(arg);
          }
        }
        // A JSON text's fields, as extraction reads them (InputList.add), named below it.
        if (looksLikeJson(s)) {
          try {
            nodes.push(n);
            items.push(JSON.parse(s) as unknown);
          } catch {
            nodes.pop();
          }
        }
      }
    } else if (v === null || typeof v !== 'object' || objects.has(v)) {
      continue;
    } else if (Array.isArray(v)) {
      objects.add(v);
      for (let i = v.length - 1; i >= 0; i--) {
        nodes.push({ up: n, key: i });
        items.push(v[i]);
      }
    } else if (!Buffer.isBuffer(v)) {
      objects.add(v);
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        const child: OverflowNode = { up: n, key: k };
        if (!seen.has(k)) {
          seen.add(k);
          keyAt.push(values.length);
          values.push(k);
          places.push(child);
        }
        nodes.push(child);
        items.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  const isKey = new Uint8Array(values.length);
  for (const i of keyAt) isKey[i] = 1;
  return { values, places, isKey, visited };
}

/** 'body.items[3].sku', and ':key' for a key. */
function nameOf(n: OverflowNode, key: boolean): string {
  let s = '';
  for (let c: OverflowNode | undefined = n; c !== undefined; c = c.up) {
    s = (typeof c.key === 'number' ? `[${c.key}]` : c.up === undefined ? c.key : `.${c.key}`) + s;
  }
  return key ? `${s}:key` : s;
}

/**
 * The overflow's values that occur in any of `texts` (a sink's query, path, command, URL or source), as inputs
 * read by `read` (the list's own reading: classes and decoded forms). Each text's character pairs are indexed
 * once, so a value that cannot occur in it costs a few table reads rather than a search.
 */
export function overflowHits(
  leaves: OverflowLeaves,
  texts: readonly string[],
  read: (name: string, value: string) => readonly TaintInput[],
): TaintInput[] {
  const out: TaintInput[] = [];
  const { values, places, isKey } = leaves;
  const hit = new Uint8Array(values.length);
  for (let t = 0; t < texts.length; t++) {
    const text = texts[t]!;
    if (text.length === 0) continue;
    INDEX.index(text);
    for (let i = 0; i < values.length; i++) {
      if (hit[i] === 1) continue;
      const v = values[i]!;
      if (v.length > text.length || (v.length >= 2 && !INDEX.mayOccur(v)) || !text.includes(v)) continue;
      hit[i] = 1;
      for (const input of read(nameOf(places[i]!, isKey[i] === 1), v)) out.push(input);
    }
  }
  return out;
}

const INDEX = new BigramIndex();
