import { TailorError } from "../errors/index.ts";

export interface RateLimitOptions {
  /** The sustained rate: a bucket refills this many tokens per minute. */
  requestsPerMinute: number;
  /** How many requests may come at once after a quiet spell (the bucket's size); default the per-minute rate. */
  burst?: number | undefined;
  /** The clock, in milliseconds (tests pass a fake one). */
  now?: (() => number) | undefined;
  /** Buckets kept at most (default 10,000): full ones are dropped first, then the least recently used. */
  maxKeys?: number | undefined;
}

export type RateLimitResult =
  | { ok: true; limit: number; remaining: number }
  | { ok: false; limit: number; remaining: 0; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (an API key id, or a client address), in memory: each request takes a
 * token; tokens come back at `requestsPerMinute`, up to `burst`. Per process, so a restart forgets.
 */
export class RateLimiter {
  readonly requestsPerMinute: number;
  readonly burst: number;
  private readonly perMs: number;
  private readonly now: () => number;
  private readonly maxKeys: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(opts: RateLimitOptions) {
    const { requestsPerMinute: rpm, burst = Math.max(1, Math.ceil(opts.requestsPerMinute)) } = opts;
    if (!Number.isFinite(rpm) || rpm <= 0) {
      throw new TailorError({
        code: "invalid_argument",
        message: `requests per minute must be a number above 0, got ${rpm}`,
        details: { field: "requestsPerMinute" },
      });
    }
    if (!Number.isInteger(burst) || burst < 1) {
      throw new TailorError({
        code: "invalid_argument",
        message: `burst must be a whole number above 0, got ${burst}`,
        details: { field: "burst" },
      });
    }
    this.requestsPerMinute = rpm;
    this.burst = burst;
    this.perMs = rpm / 60_000;
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  /** The bucket of `key` as of now, refilled for the time since it was last touched. */
  private bucket(key: string, now: number): Bucket {
    const b = this.buckets.get(key);
    if (!b) return { tokens: this.burst, at: now };
    const elapsed = Math.max(0, now - b.at); // a clock that steps back refills nothing
    return { tokens: Math.min(this.burst, b.tokens + elapsed * this.perMs), at: now };
  }

  /** Takes one request's token for `key`, or says how many seconds until one is there. */
  take(key: string): RateLimitResult {
    const now = this.now();
    const b = this.bucket(key, now);
    this.buckets.delete(key); // re-inserted last: the map stays in least-recently-used order
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.buckets.set(key, b);
      this.evict(now);
      return { ok: true, limit: this.burst, remaining: Math.floor(b.tokens) };
    }
    this.buckets.set(key, b);
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
    return { ok: false, limit: this.burst, remaining: 0, retryAfterSeconds };
  }

  /** Forgets one key's bucket (or all), e.g. when a key is revoked or the limits change. */
  reset(key?: string): void {
    if (key === undefined) this.buckets.clear();
    else this.buckets.delete(key);
  }

  /** How many keys have a bucket (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  /** Over `maxKeys`: drops full buckets, then the least recently used, down to 90% of it. */
  private evict(now: number): void {
    if (this.buckets.size <= this.maxKeys) return;
    const target = Math.max(1, Math.floor(this.maxKeys * 0.9));
    for (const [key] of this.buckets) {
      if (this.buckets.size <= target) return;
      if (this.bucket(key, now).tokens >= this.burst) this.buckets.delete(key);
    }
    // all busy: this errs towards letting a request through rather than growing without bound
    for (const [key] of this.buckets) {
      if (this.buckets.size <= target) return;
      this.buckets.delete(key);
    }
  }
}
