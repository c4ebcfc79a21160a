/** What the review queue and the regression set take in, checked before anything is written. */
import { z } from "@hono/zod-openapi";
import { ChatMessage } from "../../protocol/index.ts";
import { type NewReviewItem, REVIEW_SOURCES, ReviewItem } from "../../protocol/review.ts";
import { TailorError } from "../errors/index.ts";

const NewItem = z.object({
  source: z.enum(REVIEW_SOURCES),
  source_id: z.string().min(1),
  message_id: z.string().min(1).nullable(),
  model: z.string().min(1),
  resolved_model: z.string().min(1),
  owner: z.string().min(1),
  question: z.array(ChatMessage).min(1),
  answer: z.string(),
  feedback: ReviewItem.shape.feedback,
});

const NewExample = z.object({
  messages: z
    .array(ChatMessage)
    .min(1)
    .refine((m) => m.at(-1)?.role !== "assistant", {
      message:
        "the conversation must end with the question (a user or tool message), not an answer: the answer is `expected`",
    }),
  expected: z.string().trim().min(1, "write the answer it must keep giving"),
  note: z.string().max(2000).nullable().optional(),
});
export type NewExample = z.infer<typeof NewExample>;

function check<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [prefix, ...(issue?.path ?? [])].filter((p) => p !== "").join(".");
  throw new TailorError({
    code: "invalid_argument",
    message: `${field}: ${issue?.message ?? "invalid"}`,
    details: { field },
  });
}

export const checkedNew = (item: NewReviewItem): NewReviewItem => check(NewItem, item, "");

export const checkedExample = (example: unknown): NewExample => check(NewExample, example, "");

/** `value` unless it is blank. */
export function nonEmpty(value: string, field: string): string {
  if (value.trim() === "")
    throw new TailorError({
      code: "invalid_argument",
      message: `${field}: must not be empty`,
      details: { field },
    });
  return value;
}
