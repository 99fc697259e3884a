/**
 * Keeps an attack flood from flooding the log or the heap: identical events
 * (same kind, operation, source, call site, action) are emitted once per
 * window and counted meanwhile; all events share a token bucket. Both
 * structures are bounded, whatever the attacker sends.
 */
export interface RateLimiterOptions {
  perSecond: number;
  windowMs?: number;
  maxKeys?: number;
  now?: () => number;
}

export interface Admission {
  emit: boolean;
  /** Identical events suppressed since this key was last emitted. */
  repeats: number;
}

export class RateLimiter {
  private readonly perSecond: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;
  private readonly seen = new Map<string, { at: number; suppressed: number }>();
  /** Events dropped by the token bucket (not by dedupe) since the last emitted event. */
  private dropped = 0;

  constructor(o: RateLimiterOptions) {
    this.perSecond = o.perSecond;
    this.windowMs = o.windowMs ?? 60_000;
    this.maxKeys = o.maxKeys ?? 1_000;
    this.now = o.now ?? Date.now;
    this.tokens = o.perSecond;
    this.last = this.now();
  }

  admit(key: string): Admission & { dropped: number } {
    const t = this.now();
    const entry = this.seen.get(key);
    if (entry !== undefined && t - entry.at < this.windowMs) {
      entry.suppressed++;
      return { emit: false, repeats: entry.suppressed, dropped: 0 };
    }
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < 1) {
      this.dropped++;
      return { emit: false, repeats: 0, dropped: 0 };
    }
    this.tokens -= 1;
    const repeats = entry?.suppressed ?? 0;
    if (entry !== undefined) this.seen.delete(key);
    else if (this.seen.size >= this.maxKeys) {
      // Oldest first: Map iteration order is insertion order.
      const oldest = this.seen.keys().next();
      if (oldest.done !== true) this.seen.delete(oldest.value);
    }
    this.seen.set(key, { at: t, suppressed: 0 });
    const dropped = this.dropped;
    this.dropped = 0;
    return { emit: true, repeats, dropped };
  }

  get size(): number {
    return this.seen.size;
  }
}
