import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { ModelDeleted, ModelList, ModelObject } from "../../../protocol/api/index.ts";
import { EvaluationReport, ModelCard } from "../../../protocol/evals.ts";
import { TailorError } from "../../errors/index.ts";
import { readEvaluation, renderCardMarkdown } from "../../evals/index.ts";
import { modelCardOf, parentLineage } from "../../jobs/index.ts";
import { DEFAULT_EMBEDDING_MODEL as EMBEDDING_MODEL } from "../../knowledge/index.ts";
import { classifierOf, type ModelAccess, type ModelAccessControl } from "../../models/index.ts";
import { MODERATION_MODEL, moderationCard } from "../../safety/index.ts";
import { type AppEnv, type Principal, requireRole, type ServerContext } from "../context.ts";
import { errorResponses } from "./openapi.ts";

const errors = errorResponses(403, 404);
const ModelParam = z.object({
  model: z.string().openapi({ param: { name: "model", in: "path" } }),
});

async function view(ctx: ServerContext, a: ModelAccess): Promise<z.infer<typeof ModelObject>> {
  const m = a.entry.manifest;
  const parent = m?.kind === "fine_tuned" && m.parent ? parentLineage(ctx, m.parent) : null;
  return {
    id: a.entry.name,
    object: "model",
    created: a.entry.created_at ?? 0,
    owned_by: a.entry.origin === "builtin" ? "tailor" : (a.owner ?? "local"),
    tailor: {
      kind: a.entry.kind,
      base: m?.kind === "fine_tuned" ? m.base.name : null,
      description: a.entry.description,
      shared: a.shared,
      promotion:
        m?.kind === "fine_tuned"
          ? {
              status: m.promotion?.status ?? "needs_review",
              reason:
                m.promotion?.reason ??
                "It has not been compared with its base model on held-out examples.",
            }
          : null,
      parent: parent && { id: parent.name, job_id: parent.job_id, deleted: parent.deleted },
      classifier: classifierView(a),
      serving: await serving(ctx, a),
      ...(m?.kind === "fine_tuned" && m.tools ? { tools: m.tools } : {}),
    },
  };
}

/** Which engine answers a chat model and why; null for classifiers and encoders (PyTorch's). */
async function serving(
  ctx: ServerContext,
  a: ModelAccess,
): Promise<{ engine: "llama.cpp" | "pytorch"; reason: string } | null> {
  if (classifierOf(a.entry)) return null;
  const info = await ctx.serving.info(ctx.models.resolve(a.entry.name));
  return info && { engine: info.engine, reason: info.reason };
}

function classifierView(a: ModelAccess): { labels: string[]; multi_label: boolean } | null {
  const c = classifierOf(a.entry);
  return c && { labels: c.labels, multi_label: c.multiLabel };
}

/** A fine-tuned model the caller may use, or a 404/403 in words. */
function fineTuned(access: ModelAccessControl, p: Principal, id: string): ModelAccess {
  const a = access.get(p, id);
  if (a.entry.kind !== "fine_tuned") {
    throw new TailorError({
      code: "not_found",
      message: `${id} is a base model; evaluations and model cards exist for fine-tuned models`,
    });
  }
  return a;
}

const embeddingModel: z.infer<typeof ModelObject> = {
  id: EMBEDDING_MODEL,
  object: "model",
  created: 0,
  owned_by: "tailor",
  tailor: {
    kind: "embedding",
    base: null,
    description: "all-MiniLM-L6-v2 sentence embeddings (384 dimensions), offline",
    shared: true,
    parent: null,
    serving: null,
  },
};

const moderationModel: z.infer<typeof ModelObject> = {
  id: MODERATION_MODEL,
  object: "model",
  created: 0,
  owned_by: "tailor",
  tailor: {
    kind: "moderation",
    base: EMBEDDING_MODEL,
    description:
      "OpenAI's moderation categories from all-MiniLM-L6-v2 embeddings and a probe per category, offline (POST /v1/moderations; card: /v1/models/tailor-moderation/card?format=markdown)",
    shared: true,
    parent: null,
    serving: null,
  },
};

export function registerModels(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const { access } = ctx;

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models",
      summary: "The models you may use: base models, your fine-tuned models, and shared ones",
      responses: {
        200: { description: "models", content: { "application/json": { schema: ModelList } } },
      },
    }),
    async (c) =>
      c.json(
        {
          object: "list" as const,
          data: [
            ...(await Promise.all(access.list(c.get("principal")).map((a) => view(ctx, a)))),
            embeddingModel,
            moderationModel,
          ],
        },
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models/{model}",
      summary: "A model",
      request: { params: ModelParam },
      responses: {
        200: { description: "the model", content: { "application/json": { schema: ModelObject } } },
        ...errors,
      },
    }),
    async (c) => {
      const id = c.req.valid("param").model;
      if (id === EMBEDDING_MODEL) return c.json(embeddingModel, 200);
      if (id === MODERATION_MODEL) return c.json(moderationModel, 200);
      return c.json(await view(ctx, access.get(c.get("principal"), id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models/{model}/evaluation",
      summary:
        "Tailor: the fine-tuned model's test against its base on held-out examples (404 if it has none)",
      request: { params: ModelParam },
      responses: {
        200: {
          description: "the evaluation report",
          content: { "application/json": { schema: EvaluationReport } },
        },
        ...errors,
      },
    }),
    (c) => {
      const id = c.req.valid("param").model;
      fineTuned(access, c.get("principal"), id);
      const report = readEvaluation(ctx.models.modelDir(id));
      if (!report) {
        throw new TailorError({
          code: "not_found",
          message: `${id} has not been evaluated; run \`tailor eval ${id} --data FILE --save\``,
        });
      }
      return c.json(report, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models/{model}/card",
      summary: "Tailor: the fine-tuned model's card (JSON, or Markdown with ?format=markdown)",
      request: {
        params: ModelParam,
        query: z.object({ format: z.enum(["json", "markdown"]).default("json") }),
      },
      responses: {
        200: {
          description: "the model card",
          content: {
            "application/json": { schema: ModelCard },
            "text/markdown": { schema: z.string() },
          },
        },
        ...errors,
      },
    }),
    (c) => {
      const id = c.req.valid("param").model;
      if (id === MODERATION_MODEL) {
        if (c.req.valid("query").format !== "markdown") {
          throw new TailorError({
            code: "invalid_argument",
            message: `${id}'s card is Markdown: ask with ?format=markdown (or run tailor moderate --card)`,
          });
        }
        return c.body(moderationCard(), 200, { "content-type": "text/markdown; charset=utf-8" });
      }
      fineTuned(access, c.get("principal"), id);
      const card = modelCardOf(ctx, id);
      if (c.req.valid("query").format === "markdown") {
        return c.body(renderCardMarkdown(card), 200, {
          "content-type": "text/markdown; charset=utf-8",
        });
      }
      return c.json(card, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/models/{model}",
      summary: "Delete a fine-tuned model (its adapter); base models cannot be deleted",
      request: { params: ModelParam },
      responses: {
        200: { description: "deleted", content: { "application/json": { schema: ModelDeleted } } },
        ...errors,
      },
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "delete models");
      const id = c.req.valid("param").model;
      access.delete(p, id);
      return c.json({ id, object: "model" as const, deleted: true }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/models/{model}/share",
      summary: "Tailor (admin): let every key use a fine-tuned model, or stop sharing it",
      request: {
        params: ModelParam,
        body: {
          content: { "application/json": { schema: z.object({ shared: z.boolean() }) } },
          required: true,
        },
      },
      responses: {
        200: { description: "the model", content: { "application/json": { schema: ModelObject } } },
        ...errors,
      },
    }),
    async (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin"], "share models");
      const id = c.req.valid("param").model;
      access.get(p, id);
      access.share(id, c.req.valid("json").shared);
      return c.json(await view(ctx, access.get(p, id)), 200);
    },
  );
}
