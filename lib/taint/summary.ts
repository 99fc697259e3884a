import type { TaintInput } from '../types';

/**
 * A compact, per-request summary of the inputs, so that a sink check can
 * reject most inputs without touching them. A request has dozens of inputs
 * (headers, body fields and their keys, decoded forms), each its own object
 * and string somewhere in the heap; by the time a sink is called the app has
 * run between extraction and the call, and reading every one of them again
 * is mostly cache misses (measured in the realistic bench route: a detector's
 * first pass over 60 inputs cost 2–4× its second). The summary is one typed
 * array, computed once per inputs array (which the taint layer caches per
 * request), read sequentially.
 *
 * Per input: the set of characters its value contains, folded to 64 classes
 * (code unit & 63), its length, its first code unit and a few flags. An
 * input can only occur in a payload if its characters are a subset of the
 * payload's; a payload can only occur in an input if the reverse holds.
 */

export const SLOTS = 5;
const LO = 0;
const HI = 1;
const LEN = 2;
const FIRST = 3;
const FLAGS = 4;

export const HAS_AT = 1;
export const HAS_PERCENT = 2;
export const HAS_BACKSLASH = 4;
export const HAS_NON_ASCII = 8;
export const HAS_COLON = 16;
export const HAS_SLASH = 32;

const summaries = new WeakMap<readonly TaintInput[], Int32Array>();

let maskLo = 0;
let maskHi = 0;
let maskFlags = 0;

function scanMask(s: string): void {
  let lo = 0;
  let hi = 0;
  let flags = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const b = c & 63;
    if (b < 32) lo |= 1 << b;
    else hi |= 1 << (b - 32);
    if (c < 0x40) {
      if (c === 0x25) flags |= HAS_PERCENT;
      else if (c === 0x3a) flags |= HAS_COLON;
      else if (c === 0x2f) flags |= HAS_SLASH;
    } else if (c === 0x40) flags |= HAS_AT;
    else if (c === 0x5c) flags |= HAS_BACKSLASH;
    else if (c >= 0x80) flags |= HAS_NON_ASCII;
  }
  maskLo = lo;
  maskHi = hi;
  maskFlags = flags;
}

function write(sum: Int32Array | number[], at: number, v: string): void {
  scanMask(v);
  sum[at + LO] = maskLo;
  sum[at + HI] = maskHi;
  sum[at + LEN] = v.length;
  sum[at + FIRST] = v.length > 0 ? v.charCodeAt(0) : -1;
  sum[at + FLAGS] = maskFlags;
}

export function inputSummary(inputs: readonly TaintInput[]): Int32Array {
  let sum = summaries.get(inputs);
  if (sum !== undefined) return sum;
  sum = new Int32Array(inputs.length * SLOTS);
  for (let i = 0; i < inputs.length; i++) write(sum, i * SLOTS, inputs[i]!.value);
  summaries.set(inputs, sum);
  return sum;
}

/**
 * Built alongside extraction (the taint layer's InputList), while each value
 * was just read: `entries` holds SLOTS numbers per input, in order.
 */
export class SummaryBuilder {
  private readonly entries: number[] = [];

  add(v: string): void {
    write(this.entries, this.entries.length, v);
  }

  finish(inputs: readonly TaintInput[]): void {
    if (this.entries.length === inputs.length * SLOTS) summaries.set(inputs, Int32Array.from(this.entries));
  }
}

/** The summary of `all`, the concatenation of `parts`, from theirs (values are not read again). */
export function joinSummaries(all: readonly TaintInput[], parts: ReadonlyArray<readonly TaintInput[]>): void {
  const sum = new Int32Array(all.length * SLOTS);
  let at = 0;
  for (const part of parts) {
    const ps = inputSummary(part);
    sum.set(ps, at);
    at += ps.length;
  }
  if (at === sum.length) summaries.set(all, sum);
}

/** The summary of `kept`, the inputs of `from` at the indices `keep`. */
export function pickSummary(kept: readonly TaintInput[], from: readonly TaintInput[], keep: readonly number[]): void {
  const src = inputSummary(from);
  const sum = new Int32Array(keep.length * SLOTS);
  for (let k = 0; k < keep.length; k++) sum.set(src.subarray(keep[k]! * SLOTS, (keep[k]! + 1) * SLOTS), k * SLOTS);
  summaries.set(kept, sum);
}

/** The character classes of a payload (one pass), to test inputs against. */
export interface PayloadMask {
  lo: number;
  hi: number;
  length: number;
}

export function payloadMask(s: string): PayloadMask {
  scanMask(s);
  return { lo: maskLo, hi: maskHi, length: s.length };
}

/** Every class of the payload mask `p` plus those of `s` (a payload read in two forms). */
export function widenMask(p: PayloadMask, s: string): void {
  scanMask(s);
  p.lo |= maskLo;
  p.hi |= maskHi;
}

/** Could input `i` occur in the payload (by its characters and length)? */
export function mayOccurIn(sum: Int32Array, i: number, p: PayloadMask): boolean {
  const at = i * SLOTS;
  return sum[at + LEN]! <= p.length && (sum[at + LO]! & ~p.lo) === 0 && (sum[at + HI]! & ~p.hi) === 0;
}

/** Could the payload occur inside input `i` (a longer input the app cut the payload out of)? */
export function mayContain(sum: Int32Array, i: number, p: PayloadMask): boolean {
  const at = i * SLOTS;
  return sum[at + LEN]! > p.length && (p.lo & ~sum[at + LO]!) === 0 && (p.hi & ~sum[at + HI]!) === 0;
}

export function lengthOf(sum: Int32Array, i: number): number {
  return sum[i * SLOTS + LEN]!;
}

export function firstCodeOf(sum: Int32Array, i: number): number {
  return sum[i * SLOTS + FIRST]!;
}

export function flagsOf(sum: Int32Array, i: number): number {
  return sum[i * SLOTS + FLAGS]!;
}
