import { isIP } from "node:net";

export interface SignInLimitOptions {
  /** Failed sign-ins an address may make in one window before it is locked (default 10). */
  maxFailures?: number | undefined;
  /** The window, from an address's first failure, in milliseconds (default 5 minutes). */
  windowMs?: number | undefined;
  /** The clock, in milliseconds (tests pass a fake one). */
  now?: (() => number) | undefined;
  /** Addresses kept at most (default 10,000): the oldest windows are dropped first. */
  maxAddresses?: number | undefined;
}

export type SignInCheck = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Window {
  /** When the address's first failure in this window came (ms). */
  start: number;
  failures: number;
}

/**
 * The address failures are counted against: an IPv4 address as it is (`::ffff:1.2.3.4` is
 * 1.2.3.4), an IPv6 address by its /64 (one machine is usually given a whole /64, so counting
 * single addresses would let it try again from the next one).
 */
export function signInAddress(address: string): string {
  const a =
    address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  if (isIP(a) !== 6) return a;
  const [head = "", tail = ""] = a.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = a.includes("::")
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(":")}::/64`;
}

/**
 * Failed sign-ins (a wrong API key, a wrong share-page passcode) per client address, in memory.
 * An address that fails `maxFailures` times within `windowMs` of its first failure is locked until
 * that window ends: every sign-in from it is refused (429) before its key or passcode is even
 * checked, so a guess that happens to be right is refused like a wrong one. A success resets
 * nothing (people behind one address each keep their own tries), and a restart forgets.
 */
export class SignInLimiter {
  readonly maxFailures: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private readonly maxAddresses: number;
  private readonly windows = new Map<string, Window>();

  constructor(opts: SignInLimitOptions = {}) {
    this.maxFailures = opts.maxFailures ?? 10;
    this.windowMs = opts.windowMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    this.maxAddresses = opts.maxAddresses ?? 10_000;
    if (!Number.isInteger(this.maxFailures) || this.maxFailures < 1)
      throw new RangeError(`maxFailures must be a whole number above 0, got ${this.maxFailures}`);
    if (!(this.windowMs > 0))
      throw new RangeError(`windowMs must be above 0, got ${this.windowMs}`);
  }

  /** The address's window as of now (null when it has none or it has ended). */
  private current(key: string, now: number): Window | null {
    const w = this.windows.get(key);
    if (!w) return null;
    if (now - w.start >= this.windowMs || now < w.start) {
      this.windows.delete(key);
      return null;
    }
    return w;
  }

  /** Whether `address` may try to sign in now; when locked, how long until its window ends. */
  check(address: string): SignInCheck {
    const now = this.now();
    const w = this.current(signInAddress(address), now);
    if (!w || w.failures < this.maxFailures) return { ok: true };
    return {
      ok: false,
      retryAfterSeconds: Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000)),
    };
  }

  /** Counts one failure of `address`; whether this one locked it (the limit reached just now). */
  fail(address: string): { locked: boolean; failures: number } {
    const now = this.now();
    const key = signInAddress(address);
    const w = this.current(key, now) ?? { start: now, failures: 0 };
    w.failures += 1;
    this.windows.delete(key); // re-inserted last: the map stays in order of last failure
    this.windows.set(key, w);
    this.evict();
    return { locked: w.failures === this.maxFailures, failures: w.failures };
  }

  /** How many addresses have failures counted (for tests). */
  get size(): number {
    return this.windows.size;
  }

  private evict(): void {
    for (const [key] of this.windows) {
      if (this.windows.size <= this.maxAddresses) return;
      this.windows.delete(key);
    }
  }
}
