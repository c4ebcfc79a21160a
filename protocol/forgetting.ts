/**
 * Forgetting (src/evals/forgetting): a small general-ability set that ships with Tailor, answered by
 * the base and the tuned model; which general answers tuning lost. Part of an evaluation report, the
 * promotion gate and a model card. (Owned by the forgetting check; extend here.)
 */
import { z } from "zod";

export const GeneralItemResult = z.object({
  id: z.string(),
  /** arithmetic, facts, format, refusal, ... */
  category: z.string(),
  prompt: z.string(),
  /** What a right answer holds, in words. */
  expected: z.string(),
  base_output: z.string(),
  model_output: z.string(),
  base_correct: z.boolean(),
  model_correct: z.boolean(),
});
export type GeneralItemResult = z.infer<typeof GeneralItemResult>;

export const ForgettingCheck = z.object({
  /** The set's name and version, e.g. "tailor-general v1". */
  set: z.string(),
  items: z.number().int(),
  base_correct: z.number().int(),
  model_correct: z.number().int(),
  /** Right for the base, wrong for the tuned model. */
  lost: z.number().int(),
  /** Wrong for the base, right for the tuned model. */
  gained: z.number().int(),
  results: z.array(GeneralItemResult),
  /** "The tuned model lost N of M general answers." and what to do. */
  summary: z.string(),
  /**
   * Why the loss asks for a review before use (more than a quarter of the base's right answers, and
   * at least 3), naming the lost questions; null when it does not. The promotion gate reads it.
   */
  concern: z.string().nullable().optional(),
  /** Longest answer generated, in tokens, and questions answered at once (greedy either way). */
  max_tokens: z.number().int().optional(),
  batch_size: z.number().int().optional(),
  /** The base's answers came from the cache in TAILOR_HOME (same base, set and settings). */
  base_cached: z.boolean().optional(),
  /** Why the set was not asked (then the counts are 0, `results` is empty, `summary` says why). */
  skipped: z.string().optional(),
});
export type ForgettingCheck = z.infer<typeof ForgettingCheck>;
