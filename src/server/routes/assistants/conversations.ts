/**
 * `/v1/assistants/{assistant_id}/conversations`: the owner lists and reads an assistant's
 * conversations (with feedback), corrects an answer, exports them as training JSONL, redacts personal
 * data, deletes them. The assistant's owner (and admins) see them; to anyone else the assistant does
 * not exist (404). Viewer keys read and export; changes need a member or admin key.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  ConversationDeleted,
  ConversationExportQuery,
  ConversationList,
  ConversationListQuery,
  ConversationRedactionResult,
  OwnerFeedbackRequest,
  RedactConversationsRequest,
} from "../../../../protocol/api/conversations.ts";
import type { Assistant } from "../../../../protocol/assistants.ts";
import {
  AssistantConversationWithMessages,
  ConversationMessage,
} from "../../../../protocol/assistants.ts";
import {
  exportConversations,
  type RedactionCounts,
  redactAssistantConversations,
  redactConversation,
  versionInstructions,
} from "../../../assistants/index.ts";
import { TailorError } from "../../../errors/index.ts";
import {
  type AppEnv,
  ownerScope,
  type Principal,
  requireRole,
  type ServerContext,
} from "../../context.ts";
import { conversationFeedback } from "../../feedback.ts";
import { errorResponses, jsonResponses } from "../openapi.ts";

const errors = errorResponses(400, 403, 404);
const json = <T extends z.ZodTypeAny>(schema: T, description: string) =>
  jsonResponses(schema, description, errors);
const param = (name: string, description: string) =>
  z.string().openapi({ param: { name, in: "path" }, description });
const AssistantRef = z.object({ assistant_id: param("assistant_id", "the assistant's id") });
const ConversationRef = AssistantRef.extend({
  conversation_id: param("conversation_id", "the conversation's id"),
});
const MessageRef = ConversationRef.extend({ message_id: param("message_id", "an answer's id") });

const base = "/v1/assistants/{assistant_id}/conversations";

const redactionView = (r: RedactionCounts): ConversationRedactionResult => ({
  object: "tailor.conversation_redaction",
  conversations: r.conversations,
  changed: r.changed,
  replaced: Object.fromEntries(
    Object.entries(r.replaced).filter((e): e is [string, number] => typeof e[1] === "number"),
  ),
});

export function registerConversations(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  /** The assistant if the caller owns it (or is an admin); 404 otherwise, as if it did not exist. */
  const assistantOf = (p: Principal, id: string, changing?: string): Assistant => {
    const a = ctx.assistants.find(id);
    const scope = ownerScope(p);
    if (!a || (scope !== undefined && a.owner !== scope)) {
      throw new TailorError({
        code: "not_found",
        message: `no assistant ${id}; GET /v1/assistants lists yours`,
        details: { field: "assistant_id" },
      });
    }
    if (changing) requireRole(p, ["admin", "member"], changing);
    return a;
  };
  const conversationOf = (a: Assistant, id: string) => {
    const c = ctx.conversations.find(id);
    if (!c || c.assistant_id !== a.id) {
      throw new TailorError({
        code: "not_found",
        message: `${a.settings.name} has no conversation ${id}; GET /v1/assistants/${a.id}/conversations lists them`,
        details: { field: "conversation_id" },
      });
    }
    return c;
  };

  // before `{conversation_id}`, which would take "export" as an id
  app.get("/v1/assistants/:assistant_id/conversations/export", (c) => {
    const a = assistantOf(c.get("principal"), c.req.param("assistant_id"));
    const q = ConversationExportQuery.safeParse({ filter: c.req.query("filter") });
    if (!q.success) {
      throw new TailorError({
        code: "invalid_argument",
        message: `filter: "${c.req.query("filter")}" is not one of good, all`,
        details: { field: "filter" },
      });
    }
    const { filter } = q.data;
    const r = exportConversations(ctx.conversations, a.id, {
      filter,
      instructions: versionInstructions(ctx.assistants),
    });
    return c.body(r.jsonl, 200, {
      "content-type": "application/jsonl; charset=utf-8",
      "content-disposition": `attachment; filename="${a.id}-conversations-${filter}.jsonl"`,
      "x-tailor-conversations": String(r.conversations),
      "x-tailor-skipped": String(r.skipped),
    });
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: `${base}/export`,
    summary:
      "Tailor: the assistant's conversations as training data (chat JSONL, one conversation a line, the answering version's instructions as the system message), `good` (default) or `all`",
    request: { params: AssistantRef, query: ConversationExportQuery },
    responses: {
      200: {
        description:
          "a JSONL download (X-Tailor-Conversations: lines written; X-Tailor-Skipped: conversations with nothing to learn)",
        content: { "application/jsonl": { schema: z.string() } },
      },
      ...errors,
    },
  });

  const redactBody = {
    body: {
      content: { "application/json": { schema: RedactConversationsRequest } },
      required: false,
    },
  };
  const namesOf = (names: boolean) => (names ? ctx.names : null);

  // before `{conversation_id}` too (the API document lists the literal path first)
  app.openapi(
    createRoute({
      method: "post",
      path: `${base}/redact`,
      summary:
        "Tailor: replace personal data in all of the assistant's stored conversations with typed placeholders",
      request: { params: AssistantRef, ...redactBody },
      responses: json(ConversationRedactionResult, "what was replaced"),
    }),
    async (c) => {
      const a = assistantOf(
        c.get("principal"),
        c.req.valid("param").assistant_id,
        "redact conversations",
      );
      const { names } = RedactConversationsRequest.parse(c.req.valid("json") ?? {});
      const r = await redactAssistantConversations(ctx.conversations, a.id, {
        names: namesOf(names),
        signal: c.req.raw.signal,
      });
      return c.json(redactionView(r), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: base,
      summary:
        "Tailor: the assistant's conversations, newest first (by last message), with message and feedback counts",
      request: { params: AssistantRef, query: ConversationListQuery },
      responses: json(ConversationList, "conversations"),
    }),
    (c) => {
      const a = assistantOf(c.get("principal"), c.req.valid("param").assistant_id);
      const q = c.req.valid("query");
      const page = ctx.conversations.page(a.id, { limit: q.limit, after: q.after });
      return c.json(
        {
          object: "list" as const,
          data: page.data,
          has_more: page.has_more,
          first_id: page.data[0]?.id ?? null,
          last_id: page.data.at(-1)?.id ?? null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: `${base}/{conversation_id}`,
      summary:
        "Tailor: one conversation, its messages in order with the version that answered, sources, function calls and feedback",
      request: { params: ConversationRef },
      responses: json(AssistantConversationWithMessages, "the conversation"),
    }),
    (c) => {
      const { assistant_id, conversation_id } = c.req.valid("param");
      const a = assistantOf(c.get("principal"), assistant_id);
      return c.json(conversationOf(a, conversation_id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: `${base}/{conversation_id}`,
      summary: "Tailor: delete a conversation and its messages",
      request: { params: ConversationRef },
      responses: json(ConversationDeleted, "deleted"),
    }),
    (c) => {
      const { assistant_id, conversation_id } = c.req.valid("param");
      const a = assistantOf(c.get("principal"), assistant_id, "delete conversations");
      const conv = conversationOf(a, conversation_id);
      ctx.conversations.delete(conv.id);
      return c.json(
        { id: conv.id, object: "conversation.deleted" as const, deleted: true as const },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${base}/{conversation_id}/messages/{message_id}/feedback`,
      summary:
        "Tailor: the owner's feedback on an answer: a rating, 'wrong', a comment, or a correction (what it should have said; the export's `good` filter uses it in place of the answer)",
      request: {
        params: MessageRef,
        body: { content: { "application/json": { schema: OwnerFeedbackRequest } }, required: true },
      },
      responses: json(ConversationMessage, "the answer with its feedback"),
    }),
    (c) => {
      const { assistant_id, conversation_id, message_id } = c.req.valid("param");
      const a = assistantOf(c.get("principal"), assistant_id, "give feedback on conversations");
      const conv = conversationOf(a, conversation_id);
      // stored and filed for review (one item per answer), in one transaction
      const input = c.req.valid("json");
      return c.json(conversationFeedback(ctx, a, conv, message_id, input).message, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: `${base}/{conversation_id}/redact`,
      summary:
        "Tailor: replace personal data in a stored conversation (questions, answers, function calls, feedback) with typed placeholders like [EMAIL]; names need the engine",
      request: { params: ConversationRef, ...redactBody },
      responses: json(ConversationRedactionResult, "what was replaced"),
    }),
    async (c) => {
      const { assistant_id, conversation_id } = c.req.valid("param");
      const a = assistantOf(c.get("principal"), assistant_id, "redact conversations");
      const conv = conversationOf(a, conversation_id);
      const { names } = RedactConversationsRequest.parse(c.req.valid("json") ?? {});
      const r = await redactConversation(ctx.conversations, conv.id, {
        names: namesOf(names),
        signal: c.req.raw.signal,
      });
      return c.json(redactionView(r), 200);
    },
  );
}
