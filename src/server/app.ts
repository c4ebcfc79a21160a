import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { SignInLimiter } from "../auth/index.ts";
import { TailorError } from "../errors/index.ts";
import type { AppEnv, ServerContext } from "./context.ts";
import { DOCS_PATHS, registerDocs } from "./docs.ts";
import { errorResponse } from "./errors.ts";
import { AdmissionGate, admission } from "./middleware/admission/index.ts";
import { audit } from "./middleware/audit/index.ts";
import { authenticate } from "./middleware/auth/index.ts";
import { corsPolicy } from "./middleware/cors/index.ts";
import { limits } from "./middleware/limits/index.ts";
import { registerAssistants } from "./routes/assistants/index.ts";
import { registerAudit } from "./routes/audit.ts";
import { registerChat } from "./routes/chat/completions.ts";
import { registerStoredCompletions } from "./routes/chat/stored.ts";
import { registerClassifications } from "./routes/classifications.ts";
import { registerEmbeddings } from "./routes/embeddings.ts";
import { registerExports } from "./routes/exports/index.ts";
import { registerFiles } from "./routes/files.ts";
import { registerJobs } from "./routes/fine-tuning/jobs.ts";
import { registerPlan } from "./routes/fine-tuning/plan.ts";
import { isStreamPath, registerJobStream } from "./routes/fine-tuning/stream.ts";
import { registerHealth } from "./routes/health.ts";
import { registerKeys } from "./routes/keys.ts";
import { registerModelNames } from "./routes/model-names.ts";
import { registerModels } from "./routes/models.ts";
import { isModerationTry, registerModeration } from "./routes/moderation/index.ts";
import { registerModerations } from "./routes/moderations.ts";
import { registerRegression } from "./routes/regression.ts";
import { registerResponses } from "./routes/responses/index.ts";
import { registerRetrain } from "./routes/retrain.ts";
import { registerReview } from "./routes/review.ts";
import { registerVectorStores } from "./routes/vector-stores/index.ts";
import { registerShare } from "./share/index.ts";
import { registerStudio } from "./studio.ts";

/** The API description is public (it holds no data); everything else under /v1 needs a key. */
const PUBLIC = new Set<string>(["/health", ...DOCS_PATHS]);
const isPublic = (path: string) => PUBLIC.has(path);

/** POSTs that change nothing: a plan is computed, not stored (the studio asks for one often). */
const READ_ONLY_POSTS = new Set(["/v1/fine_tuning/plan"]);
/** Searches change nothing either (POST only because the question is a body). */
const isReadOnlyPost = (path: string) =>
  READ_ONLY_POSTS.has(path) ||
  /^\/v1\/vector_stores\/[^/]+\/search$/.test(path) ||
  isModerationTry(path);

export interface AppOptions {
  /** Origins whose pages may call the API (parsed by parseCorsOrigins); none by default. */
  corsOrigins?: readonly string[] | undefined;
  /** Failed sign-ins per address, shared by the API and the share pages (default: a new one). */
  signIns?: SignInLimiter | undefined;
  /** The requests in flight at once, past which one is refused (default: DEFAULT_ADMISSION's). */
  admission?: AdmissionGate | undefined;
}

/** Generations: chat, responses, and a share page's question. */
const GENERATIONS = new Set(["/v1/chat/completions", "/v1/responses", "/v1/completions"]);
const isShareQuestion = (path: string) =>
  /^\/a\/[^/]+\/api\/conversations\/[^/]+\/messages$/.test(path);

/** The whole HTTP API as a Hono app (tests call `app.request`; `serve` listens with it). */
export function buildApp(ctx: ServerContext, opts: AppOptions = {}): OpenAPIHono<AppEnv> {
  const signIns = opts.signIns ?? new SignInLimiter();
  const gate = opts.admission ?? new AdmissionGate();
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

  app.use("*", corsPolicy(opts.corsOrigins ?? []));
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.use("/v1/*", audit({ log: ctx.audit, isPublic, isReadOnlyPost }));
  app.use(
    "/v1/*",
    authenticate({ keys: ctx.keys, limiter: ctx.limiter, signIns, audit: ctx.audit, isPublic }),
  );
  // past the gate's limits a request is refused at once (429, Retry-After), never left waiting
  app.use(
    "/v1/*",
    admission({
      gate,
      kindOf: (req) =>
        isStreamPath(req.path) // a job's events last as long as the job: not counted
          ? null
          : req.method !== "POST"
            ? "other"
            : req.path === "/v1/files"
              ? "upload"
              : GENERATIONS.has(req.path)
                ? "generation"
                : "other",
    }),
  );
  app.use(
    "/a/*",
    admission({
      gate,
      kindOf: (req) => (req.method === "POST" && isShareQuestion(req.path) ? "generation" : null),
    }),
  );
  app.use(
    "/v1/*",
    limits({
      maxBodyBytes: ctx.limits.maxBodyBytes,
      requestTimeoutMs: ctx.limits.requestTimeoutMs,
      // an upload is capped while it streams to disk; a job's stream lasts as long as the job
      isUnlimited: (req) =>
        (req.path === "/v1/files" && req.method === "POST") || isStreamPath(req.path),
      // a completion streams (max_tokens bounds it); measuring for a plan may wait its turn
      isUntimed: (req) =>
        req.path === "/v1/chat/completions" ||
        req.path === "/v1/responses" ||
        req.path === "/v1/fine_tuning/plan",
    }),
  );

  registerFiles(app, ctx);
  registerPlan(app, ctx);
  registerJobs(app, ctx);
  registerJobStream(app, ctx);
  registerKeys(app, ctx);
  registerModels(app, ctx);
  registerModelNames(app, ctx);
  registerExports(app, ctx);
  registerHealth(app, ctx);
  registerChat(app, ctx);
  registerStoredCompletions(app, ctx);
  registerEmbeddings(app, ctx);
  registerClassifications(app, ctx);
  registerModerations(app, ctx);
  registerModeration(app, ctx);
  registerVectorStores(app, ctx);
  registerAssistants(app, ctx);
  registerResponses(app, ctx);
  registerRetrain(app, ctx);
  registerReview(app, ctx);
  registerRegression(app, ctx);
  registerAudit(app, ctx);
  registerShare(app, ctx, signIns);
  registerDocs(app);
  if (ctx.studioDir !== null) registerStudio(app, ctx.studioDir);
  return app;
}
