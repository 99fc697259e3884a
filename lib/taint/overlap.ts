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
 * A long payload is read from its UTF-8 bytes (lib/taint/bytes.ts). Two ASCII
 * characters are adjacent in the payload exactly when their bytes are; a pair
 * holding a non-ASCII character is hashed differently by the two readings,
 * and `mayOccur` never rejects on one. With both, a 640-character query is
 * indexed in 0.8 µs against 2.0, an 80-character one in 0.20 against 0.30.
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
    let prev = payload.charCodeAt(from - 1);
    for (let i = from; i < n; i++) {
      const c = payload.charCodeAt(i);
      t[(prev * 31 + c) & 4095] = g;
      prev = c;
    }
  }

  /** False only when `v` (length ≥ 2) certainly does not occur in the indexed payload. */
  mayOccur(v: string): boolean {
    const g = this.generation;
    if (g !== stamped) return true;
    const t = TABLE;
    const n = v.length;
    // A pair holding a non-ASCII character may have been indexed as UTF-8 bytes: it rules nothing out.
    const a = v.charCodeAt(0);
    const b = v.charCodeAt(1);
    if ((a | b) < 0x80 && t[(a * 31 + b) & 4095] !== g) return false;
    const c = v.charCodeAt(n - 2);
    const d = v.charCodeAt(n - 1);
    if ((c | d) < 0x80 && t[(c * 31 + d) & 4095] !== g) return false;
    const m = n >> 1;
    const e = v.charCodeAt(m - 1);
    const f = v.charCodeAt(m);
    return (e | f) >= 0x80 || t[(e * 31 + f) & 4095] === g;
  }
}
