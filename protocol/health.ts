/**
 * Keeping a model healthy, part 3: how a model (or a model name) does in use, day by day: requests,
 * thumbs up and down, moderation flags, answer length, and questions unlike anything it was trained
 * on (drift); and a summary in words that says when it looks out of date. The domain in src/health.
 */
import { z } from "@hono/zod-openapi";

export const HealthDay = z.object({
  /** YYYY-MM-DD (UTC). */
  day: z.string(),
  requests: z.number().int(),
  thumbs_up: z.number().int(),
  thumbs_down: z.number().int(),
  /** Answers marked "wrong" or corrected. */
  wrong: z.number().int(),
  flags: z.number().int(),
  /** Mean answer length in characters (null when no answer was recorded). */
  mean_answer_chars: z.number().nullable(),
  /** Questions checked for drift that day, and how many were unlike the training data. */
  drift_checked: z.number().int(),
  unfamiliar: z.number().int(),
});
export type HealthDay = z.infer<typeof HealthDay>;

export const HealthReport = z
  .object({
    object: z.literal("model.health"),
    /** The model name or model id asked about, and the model(s) it covers. */
    model: z.string(),
    models: z.array(z.string()),
    from: z.string(),
    to: z.string(),
    days: z.array(HealthDay),
    /** The drift threshold: cosine distance to the nearest training example, from the held-out set. */
    drift_threshold: z.number().nullable(),
    /** Sentences: how it did this week against the week before, and whether it looks out of date. */
    summary: z.array(z.string()),
    out_of_date: z.boolean(),
  })
  .openapi("ModelHealth");
export type HealthReport = z.infer<typeof HealthReport>;
