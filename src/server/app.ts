import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { timeout } from "hono/timeout";
import { type AuditEntry as AuditEntrySchema, AuditList } from "../../protocol/api/index.ts";
import type { AuditEntry } from "../auth/index.ts";
import { TailorError } from "../errors/index.ts";
import { type AppEnv, requireRole, type ServerContext } from "./context.ts";
import { errorResponse } from "./errors.ts";
import { registerChat } from "./routes/chat/completions.ts";
import { registerEmbeddings } from "./routes/embeddings.ts";
import { registerFiles } from "./routes/files.ts";
import { registerJobs } from "./routes/fine-tuning/jobs.ts";
import { registerPlan } from "./routes/fine-tuning/plan.ts";
import { isStreamPath, registerJobStream } from "./routes/fine-tuning/stream.ts";
import { registerKeys } from "./routes/keys.ts";
import { registerModels } from "./routes/models.ts";
import { registerVectorStores } from "./routes/vector-stores.ts";
import { registerStudio } from "./studio.ts";

export const API_INFO = {
  openapi: "3.1.0",
  security: [{ Bearer: [] }],
  info: {
    title: "Tailor API",
    version: "1.0.0",
    description:
      "OpenAI-compatible fine-tuning and inference on your own machine. Point an OpenAI SDK's baseURL at <server>/v1 and use a Tailor API key.",
  },
};

/** The API description is public (it holds no data); everything else under /v1 needs a key. */
const PUBLIC = new Set([
  "/health",
  "/openapi.json",
  "/docs",
  "/docs/swagger-ui.css",
  "/docs/swagger-ui-bundle.js",
]);

function clientAddress(c: Context): string | null {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
    ?.incoming;
  return incoming?.socket?.remoteAddress ?? null;
}

/** Bearer key -> principal; then the per-key rate limit. */
function authenticate(ctx: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (PUBLIC.has(c.req.path)) return next();
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!token)
      throw new TailorError({
        code: "unauthorized",
        message:
          "no API key: send `Authorization: Bearer <key>` (this machine's admin key is in TAILOR_HOME/admin.key; `tailor keys create` makes others)",
      });
    const key = ctx.keys.verify(token);
    if (!key)
      throw new TailorError({
        code: "unauthorized",
        message: "the API key is not valid (unknown or revoked)",
      });
    c.set("principal", { keyId: key.id, owner: key.owner, role: key.role });
    const rate = ctx.limiter.take(key.id);
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

/** POSTs that change nothing: a plan is computed, not stored (the studio asks for one often). */
const READ_ONLY_POSTS = new Set(["/v1/fine_tuning/plan"]);
/** Searches change nothing either (POST only because the question is a body). */
const isReadOnlyPost = (path: string) =>
  READ_ONLY_POSTS.has(path) || /^\/v1\/vector_stores\/[^/]+\/search$/.test(path);

/** Every state-changing request, and every refused one, goes into the audit log. */
function audit(ctx: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const status = c.res.status;
    const denied = status === 401 || status === 403 || status === 429;
    if ((c.req.method === "GET" || isReadOnlyPost(c.req.path)) && !denied) return;
    if (PUBLIC.has(c.req.path)) return;
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
    ctx.audit.append({
      keyId: p?.keyId ?? null,
      owner: p?.owner ?? null,
      role: p?.role ?? null,
      // a request refused before routing only knows a middleware's pattern ("/v1/*"): log its path
      action: `${c.req.method} ${c.req.routePath.endsWith("*") ? c.req.path : c.req.routePath}`,
      target,
      result: denied ? "denied" : status >= 400 ? "error" : "ok",
      status,
      client: clientAddress(c),
    });
  };
}

let swagger: { css: string; js: string } | null = null;
function swaggerAssets(): { css: string; js: string } {
  if (!swagger) {
    const dir = join(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"), "..");
    swagger = {
      css: readFileSync(join(dir, "swagger-ui.css"), "utf8"),
      js: readFileSync(join(dir, "swagger-ui-bundle.js"), "utf8"),
    };
  }
  return swagger;
}

const DOCS_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tailor API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui" });</script></body></html>`;

/** The whole HTTP API as a Hono app (tests call `app.request`; `serve` listens with it). */
export function buildApp(ctx: ServerContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const field = issue?.path.join(".") ?? "";
        throw new TailorError({
          code: "invalid_argument",
          message: `${field ? `${field}: ` : ""}${issue?.message ?? "invalid request"}`,
          details: { field },
        });
      }
    },
  });
  app.onError((e, c) => {
    if (e instanceof HTTPException) {
      const code =
        e.status === 413 ? "too_large" : e.status === 504 ? "internal" : "invalid_argument";
      return errorResponse(
        c,
        new TailorError({ code, message: e.message || `request refused (${e.status})` }),
      );
    }
    return errorResponse(c, e);
  });
  app.notFound((c) =>
    errorResponse(
      c,
      new TailorError({
        code: "not_found",
        message: `no route ${c.req.method} ${c.req.path}; GET /docs lists the API`,
      }),
    ),
  );
  app.openAPIRegistry.registerComponent("securitySchemes", "Bearer", {
    type: "http",
    scheme: "bearer",
  });

  app.get("/health", (c) => c.json({ status: "ok" }));
  app.use("/v1/*", audit(ctx));
  app.use("/v1/*", authenticate(ctx));
  const limit = bodyLimit({
    maxSize: ctx.limits.maxBodyBytes,
    onError: () => {
      throw new TailorError({
        code: "too_large",
        message: `the request body is larger than ${ctx.limits.maxBodyBytes} bytes`,
      });
    },
  });
  const timed = timeout(ctx.limits.requestTimeoutMs);
  app.use("/v1/*", async (c, next) => {
    if (c.req.path === "/v1/files" && c.req.method === "POST") return next(); // capped while streaming
    if (c.req.path === "/v1/chat/completions") return limit(c, next); // streams; max_tokens bounds it
    if (isStreamPath(c.req.path)) return next(); // lasts as long as the job
    if (c.req.path === "/v1/fine_tuning/plan") return limit(c, next); // measuring may wait its turn
    return limit(c, async () => {
      await timed(c, next);
    });
  });

  registerFiles(app, ctx);
  registerPlan(app, ctx);
  registerJobs(app, ctx);
  registerJobStream(app, ctx);
  registerKeys(app, ctx);
  registerModels(app, ctx);
  registerChat(app, ctx);
  registerEmbeddings(app, ctx);
  registerVectorStores(app, ctx);
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

  app.get("/openapi.json", (c) => c.json(app.getOpenAPI31Document(API_INFO)));
  app.get("/docs", (c) => c.html(DOCS_HTML));
  app.get("/docs/swagger-ui.css", (c) =>
    c.body(swaggerAssets().css, 200, { "content-type": "text/css" }),
  );
  app.get("/docs/swagger-ui-bundle.js", (c) =>
    c.body(swaggerAssets().js, 200, { "content-type": "text/javascript" }),
  );
  if (ctx.studioDir !== null) registerStudio(app, ctx.studioDir);
  return app;
}

function auditView(e: AuditEntry): z.infer<typeof AuditEntrySchema> {
  const { details: _details, at, ...rest } = e;
  return { ...rest, at: new Date(at).toISOString() };
}
