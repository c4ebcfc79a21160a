import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type AuditEntry as AuditEntrySchema, AuditList } from "../../../protocol/api/index.ts";
import type { AuditEntry } from "../../auth/index.ts";
import { type AppEnv, requireRole, type ServerContext } from "../context.ts";

function auditView(e: AuditEntry): z.infer<typeof AuditEntrySchema> {
  const { at, ...rest } = e;
  return { ...rest, at: new Date(at).toISOString() };
}

/** Tailor (admin): `/v1/audit`, the audit log the audit middleware writes. */
export function registerAudit(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/audit",
      summary: "Tailor (admin): the audit log, newest first",
      request: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          owner: z.string().optional(),
          action: z.string().optional(),
        }),
      },
      responses: {
        200: { description: "entries", content: { "application/json": { schema: AuditList } } },
      },
    }),
    (c) => {
      requireRole(c.get("principal"), ["admin"], "read the audit log");
      const q = c.req.valid("query");
      const rows = ctx.audit.list({
        limit: Math.min(q.limit + 1, 1000),
        ...(q.owner ? { owner: q.owner } : {}),
        ...(q.action ? { action: q.action } : {}),
      });
      return c.json(
        {
          object: "list" as const,
          data: rows.slice(0, q.limit).map(auditView),
          has_more: rows.length > q.limit,
        },
        200,
      );
    },
  );
}
