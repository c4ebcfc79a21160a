/**
 * The share page's rate limits, in memory (RateLimiter from src/auth): questions per visitor at the
 * assistant's `visitor_requests_per_minute`, AND per client address at VISITORS_PER_ADDRESS times
 * that (a visitor who clears their cookies is still one address, while a class behind one school
 * network is many visitors on one address), wrong passcodes per address, and a looser cap on every
 * other call. Over a limit: 429 with Retry-After and a sentence the page shows as it is.
 */
import type { Context } from "hono";
import { RateLimiter } from "../../auth/index.ts";
import { TailorError } from "../../errors/index.ts";

/** Wrong passcodes an address may try per minute on one page. */
export const PASSCODE_TRIES_PER_MINUTE = 5;
/** Questions one address may send: this many visitors' worth (people sharing a network). */
export const VISITORS_PER_ADDRESS = 5;
/** Other calls (the page's info, reading a conversation, feedback) per address per minute. */
export const OTHER_CALLS_PER_MINUTE = 120;

/** The address the request came from (the socket's: a proxy's header could be anyone's). */
export function clientAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
    ?.incoming;
  return incoming?.socket?.remoteAddress ?? "unknown";
}

const wait = (s: number) =>
  s <= 1 ? "a second" : s < 90 ? `${s} seconds` : `${Math.ceil(s / 60)} minutes`;

export class ShareLimits {
  /** One limiter per rate (assistants choose theirs), keyed by assistant and visitor or address. */
  private readonly questions = new Map<number, RateLimiter>();
  private readonly passcodes: RateLimiter;
  private readonly others: RateLimiter;

  constructor(private readonly now: () => number = Date.now) {
    this.passcodes = new RateLimiter({ requestsPerMinute: PASSCODE_TRIES_PER_MINUTE, now });
    this.others = new RateLimiter({ requestsPerMinute: OTHER_CALLS_PER_MINUTE, now });
  }

  private perMinute(rpm: number): RateLimiter {
    let limiter = this.questions.get(rpm);
    if (!limiter) {
      limiter = new RateLimiter({ requestsPerMinute: rpm, now: this.now });
      this.questions.set(rpm, limiter);
    }
    return limiter;
  }

  /** A question from `visitor` at `address`: both must have a token left. */
  question(c: Context, assistantId: string, rpm: number, visitor: string, address: string): void {
    const mine = this.perMinute(rpm).take(`${assistantId}|v|${visitor}`);
    if (!mine.ok) refuse(c, mine.retryAfterSeconds, rpm);
    const theirs = this.perMinute(rpm * VISITORS_PER_ADDRESS).take(`${assistantId}|a|${address}`);
    if (!theirs.ok) refuse(c, theirs.retryAfterSeconds, rpm);
  }

  /** Before a passcode is checked (so that guessing is slow whether it is right or not). */
  passcode(c: Context, assistantId: string, address: string): void {
    const r = this.passcodes.take(`${assistantId}|${address}`);
    if (!r.ok) {
      c.header("retry-after", String(r.retryAfterSeconds));
      throw new TailorError({
        code: "rate_limited",
        message: `Too many passcode attempts. Please wait ${wait(r.retryAfterSeconds)} and try again.`,
      });
    }
  }

  /** A right passcode forgets the address's wrong tries. */
  passcodeAccepted(assistantId: string, address: string): void {
    this.passcodes.reset(`${assistantId}|${address}`);
  }

  other(c: Context, address: string): void {
    const r = this.others.take(address);
    if (!r.ok) refuse(c, r.retryAfterSeconds, OTHER_CALLS_PER_MINUTE);
  }
}

function refuse(c: Context, retryAfterSeconds: number, rpm: number): never {
  c.header("retry-after", String(retryAfterSeconds));
  throw new TailorError({
    code: "rate_limited",
    message: `You are sending messages faster than this assistant allows (${rpm} a minute). Please wait ${wait(retryAfterSeconds)} and try again.`,
    details: { retry_after: retryAfterSeconds },
  });
}
