import type { MiddlewareHandler } from "hono";
import type { KeyStore, RateLimiter } from "../../../auth/index.ts";
import { TailorError } from "../../../errors/index.ts";
import type { AppEnv } from "../../context.ts";

export interface AuthOptions {
  keys: Pick<KeyStore, "verify">;
  limiter: Pick<RateLimiter, "take">;
  /** Paths answered without a key (the API description, health). */
  isPublic?: (path: string) => boolean;
}

/** Bearer key -> principal (`c.get("principal")`); then the per-key rate limit. */
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
    const key = opts.keys.verify(token);
    if (!key)
      throw new TailorError({
        code: "unauthorized",
        message: "the API key is not valid (unknown or revoked)",
      });
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
