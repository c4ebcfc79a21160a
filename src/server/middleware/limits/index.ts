import type { HonoRequest, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { timeout } from "hono/timeout";
import { TailorError } from "../../../errors/index.ts";
import type { AppEnv } from "../../context.ts";

export interface LimitsOptions {
  /** Largest request body; a larger one is refused with `too_large` (413). */
  maxBodyBytes: number;
  /** A request is answered within this time, or ended with an `internal` error (500). */
  requestTimeoutMs: number;
  /** Neither limit: requests that cap themselves (an upload streamed to disk) or last (a stream). */
  isUnlimited?: (req: HonoRequest) => boolean;
  /** The body limit only: requests that may take long (generation, work that waits its turn). */
  isUntimed?: (req: HonoRequest) => boolean;
}

/** The body size and answer time limits, with the exceptions the caller names. */
export function limits(opts: LimitsOptions): MiddlewareHandler<AppEnv> {
  const body = bodyLimit({
    maxSize: opts.maxBodyBytes,
    onError: () => {
      throw new TailorError({
        code: "too_large",
        message: `the request body is larger than ${opts.maxBodyBytes} bytes`,
      });
    },
  });
  const timed = timeout(opts.requestTimeoutMs);
  return async (c, next) => {
    if (opts.isUnlimited?.(c.req)) return next();
    if (opts.isUntimed?.(c.req)) return body(c, next);
    return body(c, async () => {
      await timed(c, next);
    });
  };
}
