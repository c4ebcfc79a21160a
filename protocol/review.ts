/**
 * Keeping a model healthy, part 1: answers kept for feedback (chat completions with `store: true`,
 * assistants' conversations), the feedback on them, and the review queue where a person accepts,
 * edits or rejects what the feedback proposes before anything becomes a training example; and the
 * regression set a model name must never break. The API bodies live in protocol/api/review.ts and
 * protocol/api/completions.ts; the domain in src/review and src/completions.
 */
import { z } from "@hono/zod-openapi";
import { RATINGS } from "./assistants.ts";
import { ChatMessage } from "./engine/requests.ts";

/** A chat completion kept for feedback (OpenAI's stored completion, with Tailor's feedback). */
export const StoredCompletion = z
  .object({
    id: z.string().openapi({ example: "chatcmpl-abc123" }),
    object: z.literal("chat.completion"),
    created: z.number().int(),
    /** The model as asked (a model name resolves to a version: `resolved_model`). */
    model: z.string(),
    resolved_model: z.string(),
    owner: z.string(),
    /** The conversation the model was given (after moderation's redaction). */
    messages: z.array(ChatMessage),
    /** The first choice's text. */
    answer: z.string(),
    finish_reason: z.string(),
    metadata: z.record(z.string(), z.string()),
    expires_at: z.number().int(),
    feedback: z
      .object({
        rating: z.enum(RATINGS).nullable(),
        wrong: z.boolean(),
        comment: z.string().nullable(),
        correction: z.string().nullable(),
        at: z.number().int(),
      })
      .nullable(),
  })
  .openapi("StoredCompletion");
export type StoredCompletion = z.infer<typeof StoredCompletion>;

export const REVIEW_STATUSES = ["pending", "accepted", "rejected"] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** Where a review item's answer came from. */
export const REVIEW_SOURCES = ["completion", "conversation"] as const;
export type ReviewSource = (typeof REVIEW_SOURCES)[number];

/** Personal data found in an item's question or answer (the kinds of src/safety/pii.ts, and names). */
export const PiiFinding = z.object({
  kind: z.string(),
  /** Where: "question" (a message of it) or "answer" / "proposed". */
  where: z.string(),
  /** The found text, masked except its first and last characters. */
  excerpt: z.string(),
});

/**
 * One answer that got feedback, waiting for a person. Nothing becomes a training example unless a
 * reviewer accepts it (as proposed or edited); the reviewer and the time are recorded.
 */
export const ReviewItem = z
  .object({
    id: z.string().openapi({ example: "rev_abc123" }),
    object: z.literal("review.item"),
    created_at: z.number().int(),
    status: z.enum(REVIEW_STATUSES),
    source: z.enum(REVIEW_SOURCES),
    /** The stored completion's id, or the conversation's id. */
    source_id: z.string(),
    /** The assistant message's id within a conversation (null for a completion). */
    message_id: z.string().nullable(),
    /** The model name (or model id) that answered, as asked; and the version that answered. */
    model: z.string(),
    resolved_model: z.string(),
    /** Whose it is: the owner of the completion or of the assistant. */
    owner: z.string(),
    /** The conversation up to the question (system message included). */
    question: z.array(ChatMessage),
    answer: z.string(),
    feedback: z.object({
      rating: z.enum(RATINGS).nullable(),
      wrong: z.boolean(),
      comment: z.string().nullable(),
      correction: z.string().nullable(),
    }),
    /** What the feedback proposes as the right answer: the correction, or the answer itself when rated up; null when nothing is proposed (rated down without a correction). */
    proposed: z.string().nullable(),
    /** The answer that becomes the example once accepted (the proposed one, or the reviewer's edit). */
    final_answer: z.string().nullable(),
    reviewer: z.string().nullable(),
    decided_at: z.number().int().nullable(),
    /** Why it was rejected, or a note on the edit. */
    note: z.string().nullable(),
    pii: z.array(PiiFinding),
    redacted: z.boolean(),
    /** The dataset version it went into (null until a retrain uses it). */
    used_in: z.string().nullable(),
  })
  .openapi("ReviewItem");
export type ReviewItem = z.infer<typeof ReviewItem>;

/** What arrives with feedback, for the review queue (the source files it from its own records). */
export interface NewReviewItem {
  source: ReviewSource;
  source_id: string;
  message_id: string | null;
  model: string;
  resolved_model: string;
  owner: string;
  question: z.infer<typeof ChatMessage>[];
  answer: string;
  feedback: ReviewItem["feedback"];
}

/** An example a model name must never break: always part of the gate of its retrains. */
export const RegressionExample = z
  .object({
    id: z.string().openapi({ example: "reg_abc123" }),
    name: z.string(),
    messages: z.array(ChatMessage),
    /** The answer it must keep giving (scored as the evaluation scores answers). */
    expected: z.string(),
    pinned_by: z.string(),
    pinned_at: z.number().int(),
    note: z.string().nullable(),
  })
  .openapi("RegressionExample");
export type RegressionExample = z.infer<typeof RegressionExample>;
