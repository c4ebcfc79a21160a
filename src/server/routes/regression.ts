/**
 * `/v1/model_names/{name}/regression`: the examples a model name must never break, always part of
 * the gate of its retrains. The name's owner (and admins) list, pin and unpin them; to anyone else
 * the name does not exist (404); viewers read. An example is pinned as a conversation and its
 * expected answer, or from an accepted review item (its question and final answer).
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  PinRegressionRequest,
  RegressionExampleDeleted,
  RegressionExampleList,
} from "../../../protocol/api/review.ts";
import { RegressionExample } from "../../../protocol/review.ts";
import type { ModelName } from "../../../protocol/versions.ts";
import { TailorError } from "../../errors/index.ts";
import {
  type AppEnv,
  ownerScope,
  type Principal,
  requireRole,
  type ServerContext,
} from "../context.ts";
import { notFound } from "../errors.ts";
import { listOf } from "./list.ts";
import { errorResponses, jsonResponses } from "./openapi.ts";
import { visibleItem } from "./review.ts";

const errors = errorResponses(400, 403, 404, 409);
/** A body matching neither shape is named by the shape it tried (`review_item` or `messages`). */
const hook = (result: { success: boolean; error?: { issues: z.core.$ZodIssue[] } }): undefined => {
  if (result.success) return undefined;
  const raw = (result as { data?: unknown }).data;
  const [byHand, fromItem] = PinRegressionRequest.options;
  const asItem = typeof raw === "object" && raw !== null && "review_item" in raw;
  const issue =
    (asItem ? fromItem : byHand).safeParse(raw).error?.issues[0] ?? result.error?.issues[0];
  const field = issue?.path.join(".") ?? "";
  throw new TailorError({
    code: "invalid_argument",
    message: `${field ? `${field}: ` : ""}${issue?.message ?? "invalid"}; send {messages, expected, note} or {review_item, note}`,
    details: { field },
  });
};

const json = <T extends z.ZodTypeAny>(schema: T, description: string) =>
  jsonResponses(schema, description, errors);
const Name = z.object({
  name: z.string().openapi({ param: { name: "name", in: "path" }, description: "a model name" }),
});
const ExampleRef = Name.extend({
  id: z.string().openapi({ param: { name: "id", in: "path" }, description: "the example's id" }),
});

/** The name if the caller may see it (members their own, admins all); else 404. */
function visibleName(ctx: ServerContext, p: Principal, name: string): ModelName {
  const found = ctx.modelNames.find(name);
  const scope = ownerScope(p);
  if (!found || (scope !== undefined && found.owner !== scope))
    throw notFound("model name", `${name}; GET /v1/model_names lists yours`, "name");
  return found;
}

export function registerRegression(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const base = "/v1/model_names/{name}/regression";

  app.openapi(
    createRoute({
      method: "get",
      path: base,
      summary:
        "Tailor: the name's regression set, oldest first: examples every retrain's gate checks it still answers",
      request: { params: Name },
      responses: json(RegressionExampleList, "the examples"),
    }),
    (c) => {
      const { name } = visibleName(ctx, c.get("principal"), c.req.valid("param").name);
      return c.json(listOf(ctx.regression.list(name), false), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: base,
      summary:
        "Tailor: pin an example the name must never break: {messages, expected, note} or an accepted review item {review_item, note}",
      request: {
        params: Name,
        body: { content: { "application/json": { schema: PinRegressionRequest } }, required: true },
      },
      responses: json(RegressionExample, "the pinned example"),
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "pin regression examples");
      const { name } = visibleName(ctx, p, c.req.valid("param").name);
      const b = c.req.valid("json");
      const pinned =
        "review_item" in b
          ? ctx.regression.pinReviewed(name, visibleItem(ctx, p, b.review_item), p.owner, b.note)
          : ctx.regression.pin(name, { ...b, note: b.note ?? null }, p.owner);
      return c.json(pinned, 200);
    },
    hook,
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: `${base}/{id}`,
      summary: "Tailor: unpin an example from the name's regression set",
      request: { params: ExampleRef },
      responses: json(RegressionExampleDeleted, "unpinned"),
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "unpin regression examples");
      const { name, id } = c.req.valid("param");
      visibleName(ctx, p, name);
      const example = ctx.regression.find(id);
      if (!example || example.name !== name)
        throw notFound("regression example", `${id} in ${name}'s regression set`, "id");
      ctx.regression.unpin(id);
      return c.json(
        { id, object: "regression_example.deleted" as const, deleted: true as const },
        200,
      );
    },
  );
}
