/**
 * Tailor: `/v1/moderation/policies`, named checks on a model's input and output, attached to models
 * and API keys; and trying a policy (stored or a draft) on a sample text. Admins manage policies;
 * every key may read them and try them (a caller may be under them, and may name one per request).
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  CreatePolicyRequest,
  PolicyAttachments,
  PolicyDeleted,
  PolicyList,
  TryInlinePolicyRequest,
  TryPolicyRequest,
  TryResult,
  UpdatePolicyRequest,
} from "../../../../protocol/api/moderation-policies.ts";
import { Policy } from "../../../../protocol/moderation.ts";
import { tryPolicy } from "../../../safety/moderation/policy-try.ts";
import { type AppEnv, type Principal, requireRole, type ServerContext } from "../../context.ts";
import { listOf } from "../list.ts";
import { errorResponses, jsonResponses } from "../openapi.ts";

const errors = errorResponses(400, 403, 404, 409);
const json = <T extends z.ZodTypeAny>(schema: T, description: string) =>
  jsonResponses(schema, description, errors);
const Ref = z.object({
  policy: z
    .string()
    .openapi({ param: { name: "policy", in: "path" }, description: "the policy's id or name" }),
});
const body = <T extends z.ZodTypeAny>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});
const admin = (p: Principal, doing: string) => requireRole(p, ["admin"], doing);

export function registerModerationPolicies(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const base = "/v1/moderation/policies";

  app.openapi(
    createRoute({
      method: "get",
      path: base,
      summary: "Tailor: every moderation policy, by name, with what it is attached to",
      responses: json(PolicyList, "policies"),
    }),
    (c) => c.json(listOf(ctx.policies.list(), false), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: base,
      summary:
        "Tailor (admin): create a moderation policy (what to check on input and output, the refusal, flag_only), optionally attached to models and keys",
      request: body(CreatePolicyRequest),
      responses: json(Policy, "the policy"),
    }),
    (c) => {
      admin(c.get("principal"), "create moderation policies");
      const { attached, ...input } = c.req.valid("json");
      return c.json(ctx.policies.create(input, attached), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: `${base}/{policy}`,
      summary: "Tailor: one moderation policy, by id or name",
      request: { params: Ref },
      responses: json(Policy, "the policy"),
    }),
    (c) => c.json(ctx.policies.get(c.req.valid("param").policy), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${base}/{policy}`,
      summary:
        "Tailor (admin): change a moderation policy: the fields given (`input`/`output` replace that side whole; `attached` the lists it gives)",
      request: { params: Ref, ...body(UpdatePolicyRequest) },
      responses: json(Policy, "the policy"),
    }),
    (c) => {
      admin(c.get("principal"), "change moderation policies");
      return c.json(ctx.policies.update(c.req.valid("param").policy, c.req.valid("json")), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: `${base}/{policy}`,
      summary: "Tailor (admin): delete a moderation policy (its flags stay, naming it)",
      request: { params: Ref },
      responses: json(PolicyDeleted, "deleted"),
    }),
    (c) => {
      admin(c.get("principal"), "delete moderation policies");
      const { id } = ctx.policies.delete(c.req.valid("param").policy);
      return c.json(
        { id, object: "tailor.moderation_policy.deleted" as const, deleted: true as const },
        200,
      );
    },
  );

  for (const [verb, doing] of [
    ["attach", "adds models and keys to"],
    ["detach", "removes models and keys from"],
  ] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `${base}/{policy}/${verb}`,
        summary: `Tailor (admin): ${doing} what a moderation policy is attached to`,
        request: { params: Ref, ...body(PolicyAttachments) },
        responses: json(Policy, "the policy"),
      }),
      (c) => {
        admin(c.get("principal"), `${verb} moderation policies`);
        const { policy } = c.req.valid("param");
        const targets = c.req.valid("json");
        return c.json(
          verb === "attach"
            ? ctx.policies.attach(policy, targets)
            : ctx.policies.detach(policy, targets),
          200,
        );
      },
    );
  }

  app.openapi(
    createRoute({
      method: "post",
      path: `${base}/{policy}/try`,
      summary:
        "Tailor: what a moderation policy decides about a sample text, as a question (input), an answer (output) or both, with the moderation model's scores; nothing is logged",
      request: { params: Ref, ...body(TryPolicyRequest) },
      responses: json(TryResult, "the decisions"),
    }),
    async (c) => {
      const policy = ctx.policies.get(c.req.valid("param").policy);
      const { text, stage } = c.req.valid("json");
      const signal = c.req.raw.signal;
      return c.json(
        await tryPolicy(policy, text, stage, {
          moderator: ctx.moderator,
          names: ctx.names,
          signal,
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/moderation/try",
      summary:
        "Tailor: what an unsaved moderation policy (a draft) decides about a sample text; its patterns are checked as when saved",
      request: body(TryInlinePolicyRequest),
      responses: json(TryResult, "the decisions"),
    }),
    async (c) => {
      const { policy, text, stage } = c.req.valid("json");
      return c.json(
        await tryPolicy({ ...policy, id: null }, text, stage, {
          moderator: ctx.moderator,
          names: ctx.names,
          signal: c.req.raw.signal,
          prefix: "policy",
        }),
        200,
      );
    },
  );
}
