/**
 * `/v1/model_names`: list, create, retrieve (versions and history), add a version, promote, roll
 * back, change the storage settings, delete. Members see and change their own names (another's
 * answers 404), admins every one, viewers read. Every change is in the name's history with the key
 * that made it and why, and in the audit log (the middleware).
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  AddModelVersionRequest,
  CreateModelNameRequest,
  ModelNameDeleted,
  ModelNameDetail,
  ModelNameList,
  PromoteModelVersionRequest,
  RollbackModelNameRequest,
  UpdateModelNameRequest,
} from "../../../protocol/api/model-names.ts";
import { refuseClassifier } from "../../models/index.ts";
import {
  type AppEnv,
  ownerScope,
  type Principal,
  requireRole,
  type ServerContext,
} from "../context.ts";
import { errorResponses, jsonResponses } from "./openapi.ts";

const errors = errorResponses(400, 403, 404, 409);
const json = <T extends z.ZodTypeAny>(schema: T, description: string) =>
  jsonResponses(schema, description, errors);
const body = <T extends z.ZodTypeAny>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});
const Name = z.object({
  name: z.string().openapi({ param: { name: "name", in: "path" }, example: "support" }),
});

const write = (p: Principal, doing: string) => requireRole(p, ["admin", "member"], doing);

/** Who made a change, as the name's history keeps it: the key (its owner for the reader). */
const who = (p: Principal) => p.keyId;

export function registerModelNames(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const base = "/v1/model_names";
  const one = `${base}/{name}`;

  /** The name with its history, if the caller may see it (else the 404 of no name). */
  const detail = (p: Principal, name: string) => {
    const n = ctx.access.name(p, name);
    return { ...n, history: ctx.modelNames.events(n.name) };
  };
  /** A model the caller may use that writes answers (another owner's model is a 404). */
  const usable = (p: Principal, model: string) => {
    ctx.modelNames.checkModel(model);
    ctx.access.get(p, model);
    refuseClassifier(ctx.models.resolve(model));
  };

  app.openapi(
    createRoute({
      method: "get",
      path: base,
      summary: "Tailor: list the model names (members their own, admins all), by name",
      responses: json(ModelNameList, "model names"),
    }),
    (c) => {
      const data = ctx.modelNames.list(ownerScope(c.get("principal")));
      return c.json({ object: "list" as const, data, has_more: false }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: base,
      summary:
        "Tailor: name a model (version 1 answers at once); the name can be used wherever a model id is",
      request: body(CreateModelNameRequest),
      responses: json(ModelNameDetail, "the name"),
    }),
    (c) => {
      const p = c.get("principal");
      write(p, "create model names");
      const req = c.req.valid("json");
      usable(p, req.model);
      const why = req.why ?? `named ${req.model}`;
      const n = ctx.modelNames.create(req.name, p.owner, req.model, who(p), why, {
        storeCompletions: req.store_completions,
        retentionDays: req.retention_days,
      });
      c.set("auditDetails", { name: n.name, version: 1, model: req.model, why });
      return c.json(detail(p, n.name), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: one,
      summary: "Tailor: a model name, its versions and every change (history: who, why, when)",
      request: { params: Name },
      responses: json(ModelNameDetail, "the name"),
    }),
    (c) => c.json(detail(c.get("principal"), c.req.valid("param").name), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${one}/versions`,
      summary:
        "Tailor: add a version to a model name (it answers only once promoted, unless promote is true)",
      request: { params: Name, ...body(AddModelVersionRequest) },
      responses: json(ModelNameDetail, "the name with the new version last"),
    }),
    (c) => {
      const p = c.get("principal");
      write(p, "add model versions");
      const n = ctx.access.name(p, c.req.valid("param").name);
      const req = c.req.valid("json");
      usable(p, req.model);
      const v = ctx.modelNames.add(n.name, req.model, {
        who: who(p),
        why: req.why,
        origin: "added",
        promote: req.promote ?? false,
      });
      c.set("auditDetails", {
        version: v.version,
        model: req.model,
        promoted: req.promote ?? false,
        why: req.why,
      });
      return c.json(detail(p, n.name), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${one}/promote`,
      summary: "Tailor: make a version of a model name the one that answers (why is required)",
      request: { params: Name, ...body(PromoteModelVersionRequest) },
      responses: json(ModelNameDetail, "the name"),
    }),
    (c) => {
      const p = c.get("principal");
      write(p, "promote model versions");
      const n = ctx.access.name(p, c.req.valid("param").name);
      const { version, why } = c.req.valid("json");
      ctx.modelNames.promote(n.name, version, who(p), why);
      c.set("auditDetails", { from: n.current, to: version, why });
      return c.json(detail(p, n.name), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${one}/rollback`,
      summary:
        "Tailor: answer again with the version that answered before the current one (why is required)",
      request: { params: Name, ...body(RollbackModelNameRequest) },
      responses: json(ModelNameDetail, "the name"),
    }),
    (c) => {
      const p = c.get("principal");
      write(p, "roll back model names");
      const n = ctx.access.name(p, c.req.valid("param").name);
      const { why } = c.req.valid("json");
      const after = ctx.modelNames.rollback(n.name, who(p), why);
      c.set("auditDetails", { from: n.current, to: after.current, why });
      return c.json(detail(p, n.name), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: one,
      summary:
        "Tailor: a model name's settings: keep its chat completions for feedback (store_completions) and for how many days",
      request: { params: Name, ...body(UpdateModelNameRequest) },
      responses: json(ModelNameDetail, "the name"),
    }),
    (c) => {
      const p = c.get("principal");
      write(p, "change model names");
      const n = ctx.access.name(p, c.req.valid("param").name);
      const req = c.req.valid("json");
      ctx.modelNames.setStorage(n.name, {
        storeCompletions: req.store_completions,
        retentionDays: req.retention_days,
      });
      return c.json(detail(p, n.name), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: one,
      summary: "Tailor: delete a model name and its history; the models its versions point at stay",
      request: { params: Name },
      responses: json(ModelNameDeleted, "deleted"),
    }),
    (c) => {
      const p = c.get("principal");
      write(p, "delete model names");
      const n = ctx.access.name(p, c.req.valid("param").name);
      ctx.modelNames.delete(n.name);
      return c.json(
        { name: n.name, object: "model_name.deleted" as const, deleted: true as const },
        200,
      );
    },
  );
}
