/** Preference pairs (DPO): scoring held-out pairs with one or more models (being written: issue 20). */
import { z } from "zod";
import { ModelSource } from "./requests.ts";

/** How often each model scores the preferred answer above the non-preferred one, on a pairs file. */
export const ScorePairsRequest = z.object({
  models: z
    .array(z.object({ base: ModelSource, adapter_dir: z.string().min(1).optional() }))
    .min(1),
  /** Chat JSONL whose lines carry `non_preferred_output`. */
  file: z.string().min(1),
});
export type ScorePairsRequest = z.input<typeof ScorePairsRequest>;

export const PairScores = z.object({
  type: z.literal("pair_scores"),
  /** One entry per model, in the request's order. */
  models: z.array(z.object({ accuracy: z.number() })),
});
