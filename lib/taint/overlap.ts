import type { TaintInput } from '../types';

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

/**
 * The bigrams of one payload, as a hashed bitmap: `mayOccur` rejects most
 * inputs that do not occur in it with three table reads, where `indexOf`
 * would cost a search call each (most of a request's inputs are in none of
 * its sinks). Stamped with a generation number so it never needs clearing;
 * each detector keeps its own, and indexes the payload it is about to test.
 * Long payloads fill the table and stop filtering, which only costs the
 * searches the filter would have saved.
 */
export class BigramIndex {
  private readonly table = new Int32Array(4096);
  private generation = 0;

  index(payload: string): void {
    this.generation = (this.generation + 1) | 0;
    if (this.generation === 0) {
      this.table.fill(0);
      this.generation = 1;
    }
    const t = this.table;
    const g = this.generation;
    let prev = payload.charCodeAt(0);
    for (let i = 1; i < payload.length; i++) {
      const c = payload.charCodeAt(i);
      t[(prev * 31 + c) & 4095] = g;
      prev = c;
    }
  }

  /** False only when `v` (length ≥ 2) certainly does not occur in the indexed payload. */
  mayOccur(v: string): boolean {
    const t = this.table;
    const g = this.generation;
    const n = v.length;
    if (t[(v.charCodeAt(0) * 31 + v.charCodeAt(1)) & 4095] !== g) return false;
    if (t[(v.charCodeAt(n - 2) * 31 + v.charCodeAt(n - 1)) & 4095] !== g) return false;
    const m = n >> 1;
    return t[(v.charCodeAt(m - 1) * 31 + v.charCodeAt(m)) & 4095] === g;
  }
}
