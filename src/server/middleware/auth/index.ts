import type { Context, MiddlewareHandler } from "hono";
import type { AuditInput, KeyStore, RateLimiter, SignInLimiter } from "../../../auth/index.ts";
import { TailorError } from "../../../errors/index.ts";
import type { AppEnv } from "../../context.ts";

export interface AuthOptions {
  keys: Pick<KeyStore, "verify">;
  limiter: Pick<RateLimiter, "take">;
  /** Failed sign-ins per client address (none counted without it). */
  signIns?: Pick<SignInLimiter, "check" | "fail" | "maxFailures" | "windowMs"> | undefined;
  /** Where an address's lock is recorded (`auth.locked`); the refusals themselves are logged by the audit middleware. */
  audit?: { append: (entry: AuditInput) => unknown } | undefined;
  /** Paths answered without a key (the API description, health). */
  isPublic?: (path: string) => boolean;
}

/** The socket's address (a proxy's X-Forwarded-For could be anyone's, so it is not believed). */
export function socketAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
    ?.incoming;
  return incoming?.socket?.remoteAddress ?? "unknown";
}

/** Refuses a sign-in from an address that failed too often; 429 with Retry-After. */
export function refuseLocked(
  c: Context,
  signIns: Pick<SignInLimiter, "check"> | undefined,
  address: string,
  message: (wait: number) => string,
): void {
  const lock = signIns?.check(address);
  if (!lock || lock.ok) return;
  c.header("retry-after", String(lock.retryAfterSeconds));
  throw new TailorError({
    code: "rate_limited",
    message: message(lock.retryAfterSeconds),
    details: { retry_after: lock.retryAfterSeconds },
  });
}

/** Counts a failed sign-in; the failure that locks the address is recorded in the audit log. */
export function failedSignIn(
  opts: Pick<AuthOptions, "signIns" | "audit">,
  address: string,
  action: string,
): void {
  const counted = opts.signIns?.fail(address);
  if (!counted?.locked || !opts.signIns) return;
  opts.audit?.append({
    keyId: null,
    owner: null,
    role: null,
    action: "auth.locked",
    target: address,
    result: "denied",
    client: address,
    details: {
      after: action,
      failures: counted.failures,
      locked_seconds: Math.round(opts.signIns.windowMs / 1000),
    },
  });
}

/**
 * Bearer key -> principal (`c.get("principal")`); then the per-key rate limit. A wrong key counts
 * against the caller's address: past the limit, every key from it is refused (429) until the
 * window ends, before the key is looked at.
 */
export function authenticate(opts: AuthOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (opts.isPublic?.(c.req.path)) return next();
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!token)
      throw new TailorError({
        code: "unauthorized",
        message:
          "no API key: send `Authorization: Bearer <key>` (this machine's admin key is in TAILOR_HOME/admin.key; `tailor keys create` makes others)",
      });
    const address = socketAddress(c);
    refuseLocked(
      c,
      opts.signIns,
      address,
      (s) =>
        `too many failed sign-ins from ${address}: API keys from this address are refused for ${s} s more; check the key you send`,
    );
    const key = opts.keys.verify(token);
    if (!key) {
      failedSignIn(opts, address, `${c.req.method} ${c.req.path}`);
      throw new TailorError({
        code: "unauthorized",
        message: "the API key is not valid (unknown or revoked)",
      });
    }
    c.set("principal", { keyId: key.id, owner: key.owner, role: key.role });
    const rate = opts.limiter.take(key.id);
    if (!rate.ok) {
      c.header("retry-after", String(rate.retryAfterSeconds));
      throw new TailorError({
        code: "rate_limited",
        message: `too many requests for this key; try again in ${rate.retryAfterSeconds} s`,
      });
    }
    return next();
  };
}
