import type { TaintInput } from '../types';
import { BYTES_READ, LONG_TEXT } from './bytes';

/**
 * Where an input occurs in a payload. Detectors look only at these spans, so
 * an input that does not occur is rejected by one `indexOf` (the early exit
 * that keeps the allow path cheap).
 */
export interface Span {
  start: number;
  end: number;
}

/** At most this many occurrences of one input are examined; more adds cost, not signal. */
const MAX_SPANS = 16;

/** All (non-overlapping, left to right) occurrences of `value` in `payload`. */
export function spansOf(payload: string, value: string): Span[] {
  const spans: Span[] = [];
  if (value.length === 0 || value.length > payload.length) return spans;
  let from = 0;
  while (spans.length < MAX_SPANS) {
    const at = payload.indexOf(value, from);
    if (at === -1) break;
    spans.push({ start: at, end: at + value.length });
    from = at + value.length;
  }
  return spans;
}

/**
 * Taint is an overlap in either direction: the input occurs in the payload,
 * or the whole payload occurs inside a (larger) input — as when a template or
 * formula parser cuts a piece out of what the user sent and evaluates it.
 */
export type Overlap =
  | { input: TaintInput; direction: 'input-in-payload'; spans: Span[] }
  | { input: TaintInput; direction: 'payload-in-input' };

/**
 * Inputs that overlap the payload, shortest work first. `minLength` skips
 * inputs too short to carry an attack for this grammar (detectors choose it).
 */
export function overlaps(payload: string, inputs: readonly TaintInput[], minLength = 1): Overlap[] {
  const found: Overlap[] = [];
  for (const input of inputs) {
    const v = input.value;
    if (v.length < minLength) continue;
    if (v.length <= payload.length) {
      const spans = spansOf(payload, v);
      if (spans.length > 0) found.push({ input, direction: 'input-in-payload', spans });
    } else if (payload.length >= minLength && v.includes(payload)) {
      found.push({ input, direction: 'payload-in-input' });
    }
  }
  return found;
}

/** The one table every BigramIndex writes (see there), and the generation of the payload it holds. */
const TABLE = new Int32Array(4096);
let stamped = 0;
/** Where a long payload's UTF-8 bytes are read from (lib/taint/bytes.ts). */
const UTF8 = new TextEncoder();
const BYTES = new Uint8Array(BYTES_READ);
/** Payloads this long are read from their UTF-8 bytes; a constant of this module, as the buffer is. */
const LONG = LONG_TEXT;

/**
 * The bigrams of one payload, as a hashed bitmap: `mayOccur` rejects most
 * inputs that do not occur in it with three table reads, where `indexOf`
 * would cost a search call each (most of a request's inputs are in none of
 * its sinks). Stamped with a generation number so it never needs clearing.
 * Each detector keeps its own index and indexes the payload it is about to
 * test. Long payloads fill the table and stop filtering, which only costs the
 * searches the filter would have saved.
 *
 * Every index writes one table, a constant of this module: as a field of
 * each index, V8 re-read the typed array's location on every store, and the
 * faster reading below gained nothing (session 31). An index whose payload
 * another index has written over since answers "may occur" to everything:
 * detectors index and query in one synchronous call, so that never happens in
 * use, and if it did it would cost searches, never a missed input.
 *
 * A long payload is read from its UTF-8 bytes (lib/taint/bytes.ts), a short
 * one by character. Both stamp a pair of characters as the two bytes where
 * they meet in UTF-8 (`pairKey`): the last byte of the first, the first byte
 * of the second, which are adjacent wherever the characters are. So both
 * readings answer alike for every script; only a pair holding a surrogate
 * (whose bytes depend on its partner) rules nothing out. With the table a
 * module constant, a 640-character query is indexed in 0.8 µs against 2.0,
 * an 80-character one in 0.20 against 0.30.
 */
export class BigramIndex {
  /** The generation this index stamped its payload with: TABLE holds it while `stamped` is this. */
  private generation = 0;

  index(payload: string): void {
    stamped = (stamped + 1) | 0;
    if (stamped === 0) {
      TABLE.fill(0);
      stamped = 1;
    }
    const g = stamped;
    this.generation = g;
    const t = TABLE;
    const n = payload.length;
    let from = 1;
    if (n >= LONG) {
      const { read, written } = UTF8.encodeInto(payload, BYTES);
      let prev = BYTES[0]!;
      for (let i = 1; i < written; i++) {
        const c = BYTES[i]!;
        t[(prev * 31 + c) & 4095] = g;
        prev = c;
      }
      // What did not fit in BYTES is read by character. Only then: the first `charCodeAt` of a string built by
      // concatenation copies it flat, which encodeInto has not needed to.
      if (read === n) return;
      from = read;
    }
    // By character, each pair is stamped as the bytes where the two characters meet in UTF-8 (`pairKey`), which
    // is what the byte reading stamps for it too.
    let prev = payload.charCodeAt(from - 1);
    for (let i = from; i < n; i++) {
      const c = payload.charCodeAt(i);
      t[(prev | c) < 0x80 ? (prev * 31 + c) & 4095 : pairKey(prev, c)] = g;
      prev = c;
    }
  }

  /** False only when `v` (length ≥ 2) certainly does not occur in the indexed payload. */
  mayOccur(v: string): boolean {
    const g = this.generation;
    if (g !== stamped) return true;
    const n = v.length;
    const m = n >> 1;
    return pairMayOccur(v.charCodeAt(0), v.charCodeAt(1), g) && pairMayOccur(v.charCodeAt(n - 2), v.charCodeAt(n - 1), g) && pairMayOccur(v.charCodeAt(m - 1), v.charCodeAt(m), g);
  }
}

/** Whether the characters `a` `b`, next to each other, may be in the payload stamped `g`. */
function pairMayOccur(a: number, b: number, g: number): boolean {
  if ((a | b) < 0x80) return TABLE[(a * 31 + b) & 4095] === g;
  // A surrogate's bytes depend on its partner (or are U+FFFD's when it has none): such a pair rules nothing out.
  if ((a & 0xf800) === 0xd800 || (b & 0xf800) === 0xd800) return true;
  return TABLE[pairKey(a, b)] === g;
}

/**
 * The slot of the pair `a` `b` by the bytes where they meet in UTF-8: `a`'s last and `b`'s first. Wherever the
 * two characters are adjacent those two bytes are, so a table stamped from a payload's bytes and one stamped by
 * character agree on every pair outside the surrogates. For ASCII it is the pair itself.
 */
function pairKey(a: number, b: number): number {
  const last = a < 0x80 ? a : 0x80 | (a & 0x3f);
  const first = b < 0x80 ? b : b < 0x800 ? 0xc0 | (b >> 6) : 0xe0 | (b >> 12);
  return (last * 31 + first) & 4095;
}
