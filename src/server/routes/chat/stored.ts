/**
 * Stored chat completions (`store: true`, or a model name that keeps its completions): OpenAI's
 * list, retrieve, update (metadata), delete and messages routes, so `client.chat.completions.list`,
 * `.retrieve`, `.update`, `.delete` and `.messages.list` work; and Tailor's feedback on one
 * (`POST /v1/chat/completions/{id}/feedback`), which files the answer into the review queue. Members
 * see their own (another's id answers 404), admins all; viewers read only.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  CHAT_FINISH_REASONS,
  type ChatFinishReason,
  Metadata,
} from "../../../../protocol/api/chat.ts";
import {
  CompletionFeedbackRequest,
  type ReviewItemRef,
  StoredChatCompletion,
  StoredChatCompletionDeleted,
  StoredChatCompletionList,
  StoredCompletionListQuery,
  type StoredCompletionMessage,
  StoredCompletionMessageList,
  StoredCompletionMessagesQuery,
  StoredCompletionUpdateRequest,
} from "../../../../protocol/api/completions.ts";
import type { StoredCompletion } from "../../../../protocol/review.ts";
import { TailorError } from "../../../errors/index.ts";
import {
  type AppEnv,
  ownerScope,
  type Principal,
  requireRole,
  type ServerContext,
} from "../../context.ts";
import { completionFeedback } from "../../feedback.ts";
import { listOf, pageAfter } from "../list.ts";
import { errorResponses, jsonResponses } from "../openapi.ts";

const errors = errorResponses(400, 403, 404);
const json = <T extends z.ZodTypeAny>(schema: T, description: string) =>
  jsonResponses(schema, description, errors);
const Id = z.object({
  completion_id: z
    .string()
    .openapi({ param: { name: "completion_id", in: "path" }, description: "chatcmpl-…" }),
});
const base = "/v1/chat/completions";
const one = `${base}/{completion_id}`;

const finishReason = (r: string): ChatFinishReason =>
  (CHAT_FINISH_REASONS as readonly string[]).includes(r) ? (r as ChatFinishReason) : "stop";

/** A stored completion as OpenAI returns one, with Tailor's part under `tailor`. */
export function storedView(c: StoredCompletion, review?: ReviewItemRef): StoredChatCompletion {
  const finish = finishReason(c.finish_reason);
  return {
    id: c.id,
    object: "chat.completion",
    created: c.created,
    model: c.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          // an answer that only called functions has no text
          content: c.answer === "" && finish === "tool_calls" ? null : c.answer,
          refusal: null,
        },
        finish_reason: finish,
        logprobs: null,
      },
    ],
    metadata: c.metadata,
    tailor: {
      resolved_model: c.resolved_model,
      owner: c.owner,
      expires_at: c.expires_at,
      feedback: c.feedback,
      ...(review ? { review_item: review } : {}),
    },
  };
}

/** The conversation as OpenAI's store messages (`<id>-<position>`). */
function messagesOf(c: StoredCompletion): StoredCompletionMessage[] {
  return c.messages.map((m, i) => ({
    id: `${c.id}-${i}`,
    role: m.role,
    content: m.content === "" && m.tool_calls ? null : m.content,
    ...(m.tool_calls ? { tool_calls: m.tool_calls } : {}),
    ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}),
    content_parts: null,
  }));
}

/** `metadata[key]=value` pairs of the query string (as the official SDKs write them). */
function metadataQuery(queries: Record<string, string[]>): Record<string, string> | undefined {
  const pairs = Object.entries(queries).flatMap(([k, v]) => {
    const key = /^metadata\[(.+)\]$/.exec(k)?.[1];
    return key === undefined ? [] : [[key, v.at(-1) ?? ""] as const];
  });
  if (pairs.length === 0) return undefined;
  const r = Metadata.safeParse(Object.fromEntries(pairs));
  if (!r.success) {
    throw new TailorError({
      code: "invalid_argument",
      message: `metadata: ${r.error.issues[0]?.message ?? "invalid"} (filter with metadata[key]=value, 16 keys at most)`,
      details: { field: "metadata" },
    });
  }
  return r.data;
}

export function registerStoredCompletions(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  /** The completion if the caller may see it; the same 404 as none otherwise. */
  const owned = (p: Principal, id: string, changing?: string): StoredCompletion => {
    const c = ctx.completions.find(id);
    const scope = ownerScope(p);
    if (!c || (scope !== undefined && c.owner !== scope)) {
      throw new TailorError({
        code: "not_found",
        message: `no stored chat completion ${id}; GET /v1/chat/completions lists yours (answers are kept only when asked with store: true, for their retention period)`,
        details: { field: "completion_id" },
      });
    }
    if (changing) requireRole(p, ["admin", "member"], changing);
    return c;
  };

  app.openapi(
    createRoute({
      method: "get",
      path: base,
      summary:
        "List stored chat completions (members their own, admins all), newest first; filter by `model` and by `metadata[key]=value`",
      request: { query: StoredCompletionListQuery },
      responses: json(StoredChatCompletionList, "stored chat completions"),
    }),
    (c) => {
      const q = c.req.valid("query");
      const page = ctx.completions.list(ownerScope(c.get("principal")), {
        after: q.after,
        limit: q.limit,
        model: q.model,
        order: q.order,
        metadata: metadataQuery(c.req.queries()),
      });
      return c.json(
        listOf(
          page.data.map((s) => storedView(s)),
          page.has_more,
        ),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: one,
      summary:
        "Retrieve a stored chat completion (its first choice), with its feedback under tailor",
      request: { params: Id },
      responses: json(StoredChatCompletion, "the stored completion"),
    }),
    (c) => c.json(storedView(owned(c.get("principal"), c.req.valid("param").completion_id)), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: one,
      summary: "Modify a stored chat completion: its metadata, replaced whole (null: none)",
      request: {
        params: Id,
        body: {
          content: { "application/json": { schema: StoredCompletionUpdateRequest } },
          required: true,
        },
      },
      responses: json(StoredChatCompletion, "the stored completion"),
    }),
    (c) => {
      const s = owned(c.get("principal"), c.req.valid("param").completion_id, "change completions");
      const { metadata } = c.req.valid("json");
      return c.json(storedView(ctx.completions.setMetadata(s.id, metadata ?? {})), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: one,
      summary:
        "Delete a stored chat completion (a review item its feedback filed stays in the review queue)",
      request: { params: Id },
      responses: json(StoredChatCompletionDeleted, "deleted"),
    }),
    (c) => {
      const s = owned(c.get("principal"), c.req.valid("param").completion_id, "delete completions");
      ctx.completions.delete(s.id);
      return c.json(
        { id: s.id, object: "chat.completion.deleted" as const, deleted: true as const },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: `${one}/messages`,
      summary:
        "The messages of a stored chat completion's conversation (as the model was given them, after moderation's redaction)",
      request: { params: Id, query: StoredCompletionMessagesQuery },
      responses: json(StoredCompletionMessageList, "messages"),
    }),
    (c) => {
      const s = owned(c.get("principal"), c.req.valid("param").completion_id);
      const q = c.req.valid("query");
      const all = messagesOf(s);
      if (q.order === "desc") all.reverse();
      const { items, hasMore } = pageAfter(all, q, (m) => m.id);
      return c.json(listOf(items, hasMore), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${one}/feedback`,
      summary:
        "Tailor: feedback on a stored completion's answer (a rating, 'wrong', a comment, a correction), merged into what it had; the answer is filed into the review queue (tailor.review_item), where nothing becomes a training example until a reviewer accepts it",
      request: {
        params: Id,
        body: {
          content: { "application/json": { schema: CompletionFeedbackRequest } },
          required: true,
        },
      },
      responses: json(StoredChatCompletion, "the completion with its feedback and review item"),
    }),
    (c) => {
      const s = owned(c.get("principal"), c.req.valid("param").completion_id, "give feedback");
      const { completion, review } = completionFeedback(ctx, s.id, c.req.valid("json"));
      return c.json(storedView(completion, review), 200);
    },
  );
}
