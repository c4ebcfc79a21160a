import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError, ModelDeleted, ModelList, ModelObject } from "../../../protocol/api.ts";
import { EMBEDDING_MODEL, type ModelAccess, ModelAccessControl } from "../access.ts";
import { type AppEnv, requireRole, type ServerContext } from "../context.ts";

const errors = {
  403: { description: "forbidden", content: { "application/json": { schema: ApiError } } },
  404: { description: "not found", content: { "application/json": { schema: ApiError } } },
};
const ModelParam = z.object({
  model: z.string().openapi({ param: { name: "model", in: "path" } }),
});

function view(a: ModelAccess): z.infer<typeof ModelObject> {
  const m = a.entry.manifest;
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
    },
  };
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
  },
};

export function registerModels(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const access = new ModelAccessControl(ctx);

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models",
      summary: "The models you may use: base models, your fine-tuned models, and shared ones",
      responses: {
        200: { description: "models", content: { "application/json": { schema: ModelList } } },
      },
    }),
    (c) =>
      c.json(
        {
          object: "list" as const,
          data: [...access.list(c.get("principal")).map(view), embeddingModel],
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
    (c) => {
      const id = c.req.valid("param").model;
      if (id === EMBEDDING_MODEL) return c.json(embeddingModel, 200);
      return c.json(view(access.get(c.get("principal"), id)), 200);
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
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin"], "share models");
      const id = c.req.valid("param").model;
      access.get(p, id);
      access.share(id, c.req.valid("json").shared);
      return c.json(view(access.get(p, id)), 200);
    },
  );
}
