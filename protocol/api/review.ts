/**
 * `/v1/review/items`: the review queue (answers that got feedback, waiting for a person to accept,
 * edit or reject them; personal data found and redacted), and `/v1/model_names/{name}/regression`:
 * the examples a model name must never break. Members see the items of their own answers, admins
 * every one; viewers read. The item and the example are in protocol/review.ts.
 */
import { z } from "@hono/zod-openapi";
import { ChatMessage } from "../engine/requests.ts";
import { REVIEW_STATUSES, RegressionExample, ReviewItem } from "../review.ts";
import { listOf } from "./shared.ts";

export const ReviewItemList = listOf(ReviewItem).openapi("ReviewItemList");

/** `all` lists every status. */
export const REVIEW_LIST_STATUSES = [...REVIEW_STATUSES, "all"] as const;

/** Oldest first; `after` is the last id of the previous page. */
export const ReviewListQuery = z.object({
  status: z.enum(REVIEW_LIST_STATUSES).default("pending").openapi({
    description: "pending (the default: what waits for a person), accepted, rejected or all",
  }),
  model: z.string().min(1).optional().openapi({
    description: "a model name (as asked) or the model id of the version that answered",
  }),
  after: z.string().optional().openapi({ description: "the last item id of the previous page" }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type ReviewListQuery = z.infer<typeof ReviewListQuery>;

export const AcceptReviewRequest = z
  .object({
    /** The right answer, when the proposed one needs an edit (required when nothing is proposed). */
    answer: z.string().trim().min(1).max(20_000).optional(),
    note: z.string().max(2000).optional(),
  })
  .openapi("AcceptReviewRequest");
export type AcceptReviewRequest = z.infer<typeof AcceptReviewRequest>;

export const RejectReviewRequest = z
  .object({ note: z.string().max(2000).optional() })
  .openapi("RejectReviewRequest");
export type RejectReviewRequest = z.infer<typeof RejectReviewRequest>;

export const RedactReviewRequest = z
  .object({
    /** People's names too (the engine's named-entity model); false: e-mails, phones, cards... only. */
    names: z.boolean().default(true),
  })
  .openapi("RedactReviewRequest");
export type RedactReviewRequest = z.infer<typeof RedactReviewRequest>;

export const ReviewRedactionResult = z
  .object({
    object: z.literal("review.redaction"),
    item: ReviewItem,
    /** Occurrences replaced per kind ("EMAIL", "PHONE", "PERSON", ...). */
    replaced: z.record(z.string(), z.number().int()),
  })
  .openapi("ReviewRedactionResult");
export type ReviewRedactionResult = z.infer<typeof ReviewRedactionResult>;

export const RegressionExampleList = listOf(RegressionExample).openapi("RegressionExampleList");

/**
 * Pin an example: a conversation ending with the question and the answer it must keep giving, or
 * an accepted review item (its question and final answer).
 */
export const PinRegressionRequest = z
  .union([
    z.object({
      messages: z.array(ChatMessage).min(1),
      expected: z.string().trim().min(1),
      note: z.string().max(2000).nullable().optional(),
    }),
    z.object({
      review_item: z.string().min(1),
      note: z.string().max(2000).nullable().optional(),
    }),
  ])
  .openapi("PinRegressionRequest");
export type PinRegressionRequest = z.infer<typeof PinRegressionRequest>;

export const RegressionExampleDeleted = z
  .object({
    id: z.string(),
    object: z.literal("regression_example.deleted"),
    deleted: z.literal(true),
  })
  .openapi("RegressionExampleDeleted");
export type RegressionExampleDeleted = z.infer<typeof RegressionExampleDeleted>;
