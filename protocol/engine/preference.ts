/** Preference pairs (DPO): scoring held-out pairs with one or more models. */
import { z } from "zod";
import { count, finite } from "./basics.ts";
import { ModelSource } from "./requests.ts";

/**
 * For each model, on each pair of a file: the mean log-probability per token of the preferred answer
 * minus the non-preferred one's, given the conversation (reference-free: the model alone; per token,
 * so that a short answer is not preferred for its length). The model "prefers" a pair's preferred
 * answer when that difference is above 0.
 */
export const ScorePairsRequest = z.object({
  models: z
    .array(z.object({ base: ModelSource, adapter_dir: z.string().min(1).optional() }))
    .min(1),
  /** Chat JSONL whose lines carry `non_preferred_output` (Tailor's stored form of pairs). */
  file: z.string().min(1),
  /** Pairs per forward pass. */
  batch_size: count.min(1).default(8),
  /** Each conversation is cut to this many tokens (as training cuts it). */
  max_seq_length: count.min(16).default(2048),
});
export type ScorePairsRequest = z.input<typeof ScorePairsRequest>;

export const PairScores = z.object({
  type: z.literal("pair_scores"),
  /** How many pairs each model scored. */
  pairs: count,
  /** One entry per model, in the request's order. */
  models: z.array(
    z.object({
      /** The share of pairs whose preferred answer the model finds more likely. */
      accuracy: finite,
      /** The mean of `margins`. */
      mean_margin: finite,
      /** Per pair, in file order: mean log p per token of the preferred answer minus the other's. */
      margins: z.array(finite),
      seconds: finite,
    }),
  ),
});
