/**
 * Stored chat completions (`store: true` on `/v1/chat/completions`, or a model name that keeps its
 * completions): OpenAI's `retrieve`, `list`, `messages.list` and `delete` shapes, so the official SDKs
 * read them, and Tailor's feedback on one (`POST /v1/chat/completions/{id}/feedback`), which files
 * the answer into the review queue. The stored object itself is StoredCompletion in
 * protocol/review.ts; what OpenAI has no field for lives under `tailor`.
 */
import { z } from "@hono/zod-openapi";
import { Feedback, FeedbackInput } from "../assistants.ts";
import { REVIEW_STATUSES } from "../review.ts";
import { CHAT_FINISH_REASONS, ChatToolCall, Metadata } from "./chat.ts";
import { listOf, seconds } from "./shared.ts";

/** What happened to the review item when feedback was given. */
export const ReviewItemRef = z
  .object({
    id: z.string().openapi({ example: "rev_abc123" }),
    status: z.enum(REVIEW_STATUSES),
    /** false: a reviewer had already decided the item; it was left as it was. */
    updated: z.boolean(),
    /** In words: filed for review, updated, or already decided. */
    message: z.string(),
  })
  .openapi("ReviewItemRef");
export type ReviewItemRef = z.infer<typeof ReviewItemRef>;

/** A stored chat completion as OpenAI returns one (its first choice), with Tailor's part. */
export const StoredChatCompletion = z
  .object({
    id: z.string().openapi({ example: "chatcmpl-abc123" }),
    object: z.literal("chat.completion"),
    created: seconds,
    /** The model as asked (a model name, when one was asked). */
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({
          role: z.literal("assistant"),
          content: z.string().nullable(),
          refusal: z.null(),
        }),
        finish_reason: z.enum(CHAT_FINISH_REASONS),
        logprobs: z.null(),
      }),
    ),
    metadata: z.record(z.string(), z.string()),
    tailor: z.object({
      /** The model that answered (a model name's version at the time). */
      resolved_model: z.string(),
      owner: z.string(),
      /** Deleted at this time (the retention period). */
      expires_at: seconds,
      feedback: Feedback.nullable(),
      /** Only in the answer to feedback: the review item it filed or updated. */
      review_item: ReviewItemRef.optional(),
    }),
  })
  .openapi("StoredChatCompletion");
export type StoredChatCompletion = z.infer<typeof StoredChatCompletion>;

export const StoredChatCompletionList = listOf(StoredChatCompletion).openapi(
  "StoredChatCompletionList",
);

/**
 * `GET /v1/chat/completions`. Metadata filters come as `metadata[key]=value` (read by the route);
 * newest first unless `order=asc`.
 */
export const StoredCompletionListQuery = z.object({
  after: z
    .string()
    .optional()
    .openapi({ description: "id of the last completion of the previous page" }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  model: z.string().optional().openapi({ description: "only completions asked of this model" }),
  order: z
    .enum(["asc", "desc"])
    .default("desc")
    .openapi({ description: "by creation time: newest first (desc, the default) or oldest" }),
});

/** One message of the conversation a stored completion answered (OpenAI's store message). */
export const StoredCompletionMessage = z
  .object({
    /** `<completion id>-<position>`. */
    id: z.string(),
    role: z.enum(["system", "user", "assistant", "tool"]),
    content: z.string().nullable(),
    tool_calls: z.array(ChatToolCall).optional(),
    tool_call_id: z.string().optional(),
    content_parts: z.null(),
  })
  .openapi("ChatCompletionStoreMessage");
export type StoredCompletionMessage = z.infer<typeof StoredCompletionMessage>;

export const StoredCompletionMessageList = listOf(StoredCompletionMessage).openapi(
  "ChatCompletionStoreMessageList",
);

/** `GET /v1/chat/completions/{id}/messages`: oldest first unless `order=desc`. */
export const StoredCompletionMessagesQuery = z.object({
  after: z
    .string()
    .optional()
    .openapi({ description: "id of the last message of the previous page" }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(["asc", "desc"]).default("asc"),
});

export const StoredChatCompletionDeleted = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion.deleted"),
    deleted: z.literal(true),
  })
  .openapi("ChatCompletionDeleted");

/** OpenAI's update of a stored completion: its metadata, replaced whole (null: none). */
export const StoredCompletionUpdateRequest = z
  .object({ metadata: Metadata.nullable() })
  .openapi("ChatCompletionUpdateRequest");

/** Feedback on a stored completion (merged into what it had: a field given replaces it). */
export const CompletionFeedbackRequest = FeedbackInput.openapi("CompletionFeedbackRequest");
