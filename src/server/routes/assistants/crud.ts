/**
 * `/v1/assistants` create, list, retrieve, update (a new version), delete; versions; publish and
 * unpublish. OpenAI's v2 assistant object (crud-openai.ts), so `client.beta.assistants.*` work.
 * Members see and change their own (another's id answers 404), admins every one, viewers read.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  AssistantDeleted,
  AssistantListQuery,
  AssistantObject,
  AssistantObjectList,
  AssistantVersionList,
  CreateAssistantRequest,
  PublishAssistantRequest,
  UpdateAssistantRequest,
} from "../../../../protocol/api/assistants.ts";
import { type Assistant, AssistantVersion } from "../../../../protocol/assistants.ts";
import type { SettingsDeps } from "../../../assistants/index.ts";
import { refuseClassifier } from "../../../models/index.ts";
import {
  type AppEnv,
  ownerScope,
  type Principal,
  requireRole,
  type ServerContext,
} from "../../context.ts";
import { notFound } from "../../errors.ts";
import { listOf } from "../list.ts";
import { errorResponses, jsonResponses } from "../openapi.ts";
import { ownedStore } from "../vector-stores/access.ts";
import { assistantObject, bodyProblem, createSettings, settingsPatch } from "./crud-openai.ts";

const errors = errorResponses(400, 403, 404, 409);
const json = <T extends z.ZodTypeAny>(schema: T, description: string) =>
  jsonResponses(schema, description, errors);
const body = <T extends z.ZodTypeAny>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});
const Id = z.object({
  assistant_id: z.string().openapi({ param: { name: "assistant_id", in: "path" } }),
});
const VersionRef = Id.extend({
  version: z.coerce
    .number()
    .int()
    .min(1)
    .openapi({ param: { name: "version", in: "path" } }),
});

/** Body and query problems named as the settings name them (`functions[1].url`). */
const hook = (result: { success: boolean; error?: { issues: z.core.$ZodIssue[] } }): undefined => {
  if (!result.success) throw bodyProblem(result.error?.issues ?? []);
  return undefined;
};

const write = (p: Principal, doing: string) => requireRole(p, ["admin", "member"], doing);

/** The assistant if the caller may see it (members their own, admins all); else the same 404 as none. */
export function ownedAssistant(ctx: ServerContext, p: Principal, id: string): Assistant {
  const a = ctx.assistants.find(id);
  const scope = ownerScope(p);
  if (!a || (scope !== undefined && a.owner !== scope))
    throw notFound("assistant", id, "assistant_id");
  return a;
}

/** What the settings name, checked for this caller: a model they may use that writes answers, a policy, their vector stores. */
export function settingsDeps(ctx: ServerContext, p: Principal): SettingsDeps {
  return {
    model: (name) => refuseClassifier(ctx.access.resolve(p, name)),
    policy: (ref) => ctx.policies.get(ref).id,
    vectorStore: (id) => void ownedStore(ctx, p, id),
  };
}

export function registerAssistantCrud(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const base = "/v1/assistants";
  const one = `${base}/{assistant_id}`;

  app.openapi(
    createRoute({
      method: "post",
      path: base,
      summary:
        "Create an assistant (version 1): Tailor's settings, or OpenAI's fields (tools, tool_resources, temperature, top_p)",
      request: body(CreateAssistantRequest),
      responses: json(AssistantObject, "the assistant"),
    }),
    (c) => {
      const p = c.get("principal");
      write(p, "create assistants");
      const settings = createSettings(c.req.valid("json"));
      const a = ctx.assistants.create(p.owner, p.keyId, settings, settingsDeps(ctx, p));
      return c.json(assistantObject(a), 200);
    },
    hook,
  );

  app.openapi(
    createRoute({
      method: "get",
      path: base,
      summary: "List the assistants (members their own, admins all), newest first",
      request: { query: AssistantListQuery },
      responses: json(AssistantObjectList, "assistants"),
    }),
    (c) => {
      const q = c.req.valid("query");
      const all = ctx.assistants.list(ownerScope(c.get("principal")));
      if (q.order === "asc") all.reverse();
      const after = q.after ? all.findIndex((a) => a.id === q.after) + 1 : 0;
      const before = q.before ? all.findIndex((a) => a.id === q.before) : -1;
      const window = all.slice(after, before === -1 ? all.length : before);
      const items = q.before && !q.after ? window.slice(-q.limit) : window.slice(0, q.limit);
      const hasMore = window.length > items.length;
      return c.json(listOf(items.map(assistantObject), hasMore), 200);
    },
    hook,
  );

  app.openapi(
    createRoute({
      method: "get",
      path: one,
      summary: "Retrieve an assistant (its current version; secret header values are never shown)",
      request: { params: Id },
      responses: json(AssistantObject, "the assistant"),
    }),
    (c) => {
      const a = ownedAssistant(ctx, c.get("principal"), c.req.valid("param").assistant_id);
      return c.json(assistantObject(a), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: one,
      summary:
        "Modify an assistant: the settings given replace those settings whole, a new version; a secret header sent back with value null keeps its value",
      request: { params: Id, ...body(UpdateAssistantRequest) },
      responses: json(AssistantObject, "the assistant"),
    }),
    (c) => {
      const p = c.get("principal");
      write(p, "change assistants");
      const current = ownedAssistant(ctx, p, c.req.valid("param").assistant_id);
      const patch = settingsPatch(c.req.valid("json"), current.settings);
      const a = ctx.assistants.update(current.id, p.keyId, patch, settingsDeps(ctx, p));
      // stored conversations follow a new retention period at once, not at their next message
      if (a.settings.retention_days !== current.settings.retention_days) {
        ctx.conversations.setRetention(a.id, a.settings.retention_days);
      }
      return c.json(assistantObject(a), 200);
    },
    hook,
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: one,
      summary:
        "Delete an assistant with its versions and conversations; its share page goes at once",
      request: { params: Id },
      responses: json(AssistantDeleted, "deleted"),
    }),
    (c) => {
      const p = c.get("principal");
      write(p, "delete assistants");
      const { id } = ownedAssistant(ctx, p, c.req.valid("param").assistant_id);
      ctx.assistants.delete(id);
      return c.json({ id, object: "assistant.deleted" as const, deleted: true as const }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: `${one}/versions`,
      summary: "Tailor: every version of an assistant, newest first (who made it, its settings)",
      request: { params: Id },
      responses: json(AssistantVersionList, "versions"),
    }),
    (c) => {
      const { id } = ownedAssistant(ctx, c.get("principal"), c.req.valid("param").assistant_id);
      return c.json(
        { object: "list" as const, data: ctx.assistants.versions(id), has_more: false },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: `${one}/versions/{version}`,
      summary: "Tailor: one version of an assistant",
      request: { params: VersionRef },
      responses: json(AssistantVersion, "the version"),
    }),
    (c) => {
      const { assistant_id, version } = c.req.valid("param");
      const { id } = ownedAssistant(ctx, c.get("principal"), assistant_id);
      return c.json(ctx.assistants.version(id, version), 200);
    },
    hook,
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${one}/publish`,
      summary:
        "Tailor: publish an assistant's share page at /a/<slug> (public, with a passcode, or for Tailor keys), or change how it is published",
      request: { params: Id, ...body(PublishAssistantRequest) },
      responses: json(AssistantObject, "the assistant"),
    }),
    (c) => {
      const p = c.get("principal");
      write(p, "publish assistants");
      const { id } = ownedAssistant(ctx, p, c.req.valid("param").assistant_id);
      return c.json(assistantObject(ctx.assistants.publish(id, c.req.valid("json"))), 200);
    },
    hook,
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${one}/unpublish`,
      summary: "Tailor: take an assistant's share page down at once (the slug stays its own)",
      request: { params: Id },
      responses: json(AssistantObject, "the assistant"),
    }),
    (c) => {
      const p = c.get("principal");
      write(p, "unpublish assistants");
      const { id } = ownedAssistant(ctx, p, c.req.valid("param").assistant_id);
      return c.json(assistantObject(ctx.assistants.unpublish(id)), 200);
    },
  );
}
