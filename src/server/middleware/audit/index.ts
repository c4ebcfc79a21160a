import type { Context, MiddlewareHandler } from "hono";
import type { AuditInput } from "../../../auth/index.ts";
import type { AppEnv } from "../../context.ts";

export interface AuditOptions {
  /** Where entries go (the `AuditLog`). */
  log: { append: (entry: AuditInput) => unknown };
  /** Paths never logged (the API description, health). */
  isPublic?: (path: string) => boolean;
  /** POSTs that change nothing (a search, a plan): logged only when refused, like a GET. */
  isReadOnlyPost?: (path: string) => boolean;
}

function clientAddress(c: Context): string | null {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
    ?.incoming;
  return incoming?.socket?.remoteAddress ?? null;
}

/**
 * Every state-changing request, and every refused one (401, 403, 429), goes into the audit log once
 * it is answered. Put it before authentication, so refusals are logged too.
 */
export function audit(opts: AuditOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const status = c.res.status;
    const denied = status === 401 || status === 403 || status === 429;
    if ((c.req.method === "GET" || opts.isReadOnlyPost?.(c.req.path)) && !denied) return;
    if (opts.isPublic?.(c.req.path)) return;
    let target: string | null = Object.values(c.req.param() as Record<string, string>)[0] ?? null;
    if (
      !target &&
      status < 300 &&
      c.res.headers.get("content-type")?.includes("application/json")
    ) {
      const body = (await c.res
        .clone()
        .json()
        .catch(() => null)) as { id?: unknown } | null;
      if (typeof body?.id === "string") target = body.id;
    }
    const p = c.get("principal") as AppEnv["Variables"]["principal"] | undefined;
    const details = c.get("auditDetails");
    opts.log.append({
      keyId: p?.keyId ?? null,
      owner: p?.owner ?? null,
      role: p?.role ?? null,
      // a request refused before routing only knows a middleware's pattern ("/v1/*"): log its path
      action: `${c.req.method} ${c.req.routePath.endsWith("*") ? c.req.path : c.req.routePath}`,
      target,
      result: denied ? "denied" : status >= 400 ? "error" : "ok",
      status,
      client: clientAddress(c),
      ...(details && status < 400 ? { details } : {}),
    });
  };
}
