/**
 * `/v1/review/items`: the review queue. Each item is an answer that got feedback; a person accepts
 * it (as proposed, or with an edit), rejects it, or redacts its personal data first. Members see
 * and decide the items of their own answers (another's id answers 404), admins every one; viewers
 * read. The reviewer recorded is the key's owner, as the audit log names people (the request's
 * audit entry has the key's id).
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  AcceptReviewRequest,
  RedactReviewRequest,
  RejectReviewRequest,
  ReviewItemList,
  ReviewListQuery,
  ReviewRedactionResult,
} from "../../../protocol/api/review.ts";
import { ReviewItem } from "../../../protocol/review.ts";
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

const errors = errorResponses(400, 403, 404, 409);
const json = <T extends z.ZodTypeAny>(schema: T, description: string) =>
  jsonResponses(schema, description, errors);
const body = <T extends z.ZodTypeAny>(schema: T, required = true) => ({
  body: { content: { "application/json": { schema } }, required },
});
const Id = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, description: "the item's id" }),
});

/** The item if the caller may see it (members their own answers', admins all); else 404. */
export function visibleItem(ctx: ServerContext, p: Principal, id: string): ReviewItem {
  const item = ctx.review.find(id);
  const scope = ownerScope(p);
  if (!item || (scope !== undefined && item.owner !== scope))
    throw notFound("review item", `${id}; GET /v1/review/items?status=all lists yours`, "id");
  return item;
}

/** Who decides: the key's owner, with a member or admin key. */
const reviewer = (p: Principal, doing: string): string => {
  requireRole(p, ["admin", "member"], doing);
  return p.owner;
};

export function registerReview(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const base = "/v1/review/items";
  const one = `${base}/{id}`;

  app.openapi(
    createRoute({
      method: "get",
      path: base,
      summary:
        "Tailor: the review queue, oldest first (pending by default; members the items of their own answers, admins all)",
      request: { query: ReviewListQuery },
      responses: json(ReviewItemList, "review items"),
    }),
    (c) => {
      const q = c.req.valid("query");
      const page = ctx.review.list(ownerScope(c.get("principal")), {
        ...(q.status === "all" ? {} : { status: q.status }),
        ...(q.model === undefined ? {} : { model: q.model }),
        ...(q.after === undefined ? {} : { after: q.after }),
        limit: q.limit,
      });
      return c.json(listOf(page.data, page.has_more), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: one,
      summary:
        "Tailor: one review item (question, answer, feedback, proposed answer, personal data found)",
      request: { params: Id },
      responses: json(ReviewItem, "the item"),
    }),
    (c) => c.json(visibleItem(ctx, c.get("principal"), c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${one}/accept`,
      summary:
        "Tailor: accept an item: its proposed answer, or `answer` (an edit; required when the feedback proposes none) becomes a training example",
      request: { params: Id, ...body(AcceptReviewRequest, false) },
      responses: json(ReviewItem, "the accepted item"),
    }),
    (c) => {
      const p = c.get("principal");
      const who = reviewer(p, "accept review items");
      const { id } = visibleItem(ctx, p, c.req.valid("param").id);
      const { answer, note } = AcceptReviewRequest.parse(c.req.valid("json") ?? {});
      const item = ctx.review.accept(id, who, {
        ...(answer === undefined ? {} : { answer }),
        ...(note === undefined ? {} : { note }),
      });
      return c.json(item, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${one}/reject`,
      summary: "Tailor: reject an item: it never becomes a training example",
      request: { params: Id, ...body(RejectReviewRequest, false) },
      responses: json(ReviewItem, "the rejected item"),
    }),
    (c) => {
      const p = c.get("principal");
      const who = reviewer(p, "reject review items");
      const { id } = visibleItem(ctx, p, c.req.valid("param").id);
      const { note } = RejectReviewRequest.parse(c.req.valid("json") ?? {});
      return c.json(ctx.review.reject(id, who, note), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${one}/redact`,
      summary:
        "Tailor: replace the personal data in an item (question, answer, feedback, proposed and final answer) with typed placeholders such as [EMAIL]",
      request: { params: Id, ...body(RedactReviewRequest, false) },
      responses: json(ReviewRedactionResult, "the redacted item and what was replaced"),
    }),
    async (c) => {
      const p = c.get("principal");
      reviewer(p, "redact review items");
      const { id } = visibleItem(ctx, p, c.req.valid("param").id);
      const { names } = RedactReviewRequest.parse(c.req.valid("json") ?? {});
      const r = await ctx.review.redact(id, {
        names: names ? ctx.names : null,
        signal: c.req.raw.signal,
      });
      return c.json({ object: "review.redaction" as const, ...r }, 200);
    },
  );
}
