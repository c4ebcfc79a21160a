/**
 * The share page's own API, under `/a/<slug>/api/` (outside `/v1`: a visitor has no key unless the
 * assistant is for signed-in keys only). The page (studio/src/share) reads these shapes; the
 * server (src/server/share) validates every body with them. Errors are `{error: {message, ...}}`
 * as everywhere else, and the page shows the message as it is.
 */
import { z } from "@hono/zod-openapi";
import { Feedback, FeedbackInput, FUNCTION_CALL_STATUSES, SHARE_ACCESS } from "../assistants.ts";
import { Citation } from "./chat.ts";

/** GET /a/<slug>/api/info: what the page shows before the first question. */
export const ShareInfo = z.object({
  name: z.string(),
  /** What opens the page: nothing, a passcode, or a Tailor API key. */
  access: z.enum(SHARE_ACCESS),
  /** false until the passcode (or key) is given; greeting and questions are empty until then. */
  unlocked: z.boolean(),
  greeting: z.string(),
  suggested_questions: z.array(z.string()),
  /** "Conversations are kept for N days so the owner can improve this assistant. ..." */
  notice: z.string(),
  retention_days: z.number().int(),
  /** Questions one visitor may ask per minute. */
  requests_per_minute: z.number().int(),
  /** The longest question the page may send, in characters. */
  max_question_chars: z.number().int(),
});
export type ShareInfo = z.infer<typeof ShareInfo>;

/** POST /a/<slug>/api/unlock. */
export const UnlockRequest = z.object({ passcode: z.string().min(1).max(128) });
export type UnlockRequest = z.infer<typeof UnlockRequest>;

export const MAX_QUESTION_CHARS = 4000;

/** POST /a/<slug>/api/conversations/<id>/messages: the visitor's question. */
export const ShareQuestion = z.object({
  content: z
    .string()
    .trim()
    .min(1, "write a question first")
    .max(MAX_QUESTION_CHARS, `at most ${MAX_QUESTION_CHARS} characters`),
});
export type ShareQuestion = z.infer<typeof ShareQuestion>;

/** A function call as a visitor sees it: its name and how it went, never its arguments or result. */
export const ShareFunctionCall = z.object({
  name: z.string(),
  status: z.enum(FUNCTION_CALL_STATUSES),
});
export type ShareFunctionCall = z.infer<typeof ShareFunctionCall>;

/** One message of the visitor's conversation. */
export const ShareMessage = z.object({
  id: z.string(),
  role: z.enum(["user", "assistant"]),
  content: z.string(),
  created_at: z.number().int(),
  sources: z.array(Citation),
  function_calls: z.array(ShareFunctionCall),
  finish_reason: z.string().nullable(),
  feedback: Feedback.nullable(),
});
export type ShareMessage = z.infer<typeof ShareMessage>;

/** The visitor's own conversation (POST creates one; GET reads it back). */
export const ShareConversation = z.object({
  id: z.string(),
  created_at: z.number().int(),
  expires_at: z.number().int(),
  messages: z.array(ShareMessage),
});
export type ShareConversation = z.infer<typeof ShareConversation>;

/** POST .../messages/<message id>/feedback: thumbs, "this answer was wrong", a correction. */
export const ShareFeedback = FeedbackInput;
export type ShareFeedback = z.infer<typeof ShareFeedback>;

/**
 * The answer as server-sent events, one JSON object per `data:` line, each with its `type`:
 * the stored question first, then sources, text, function calls (name and status only), a
 * refusal when a policy blocked it, and `done` with the stored answer (or `error`).
 */
export const ShareEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("question"), message: ShareMessage }),
  z.object({ type: z.literal("sources"), sources: z.array(Citation) }),
  z.object({ type: z.literal("text"), delta: z.string() }),
  z.object({ type: z.literal("function_call"), call_id: z.string(), name: z.string() }),
  z.object({
    type: z.literal("function_result"),
    call_id: z.string(),
    name: z.string(),
    status: z.enum(FUNCTION_CALL_STATUSES),
  }),
  z.object({ type: z.literal("filtered"), refusal: z.string() }),
  z.object({ type: z.literal("done"), message: ShareMessage }),
  z.object({ type: z.literal("error"), message: z.string() }),
]);
export type ShareEvent = z.infer<typeof ShareEvent>;
