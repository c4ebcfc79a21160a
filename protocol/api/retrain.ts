/**
 * `POST /v1/model_names/{name}/retrain`: a new version of a model name trained on its accepted
 * reviews not used before, mixed with a sample of the current version's original examples, continuing
 * from the current version's model; the gate against the version in use decides the promotion. With
 * `dry_run`, the plan only: nothing is stored and no job is made. The domain is src/retrain.
 */
import { z } from "@hono/zod-openapi";
import { RetrainPlan } from "../versions.ts";
import { HyperparametersIn } from "./fine-tuning/jobs.ts";

export const RetrainRequest = z
  .object({
    /**
     * Examples of the current version's original training data mixed in (so old skills are kept);
     * default max(2 x the accepted items trained on, 20), capped by what exists; 0 for none.
     */
    sample: z.number().int().min(0).max(100_000).optional(),
    /**
     * Share of the accepted items held out for the gate (0-0.9, default 0.25): at least one when
     * there are two or more, none when there is only one.
     */
    held_out_share: z.number().min(0).max(0.9).optional(),
    /** Plan only: no dataset is stored, no item is marked used, no job is made. */
    dry_run: z.boolean().optional(),
    /** As for a fine-tuning job ("auto" or left out: chosen for the new examples). */
    hyperparameters: HyperparametersIn.optional(),
  })
  .openapi("RetrainRequest");
export type RetrainRequest = z.infer<typeof RetrainRequest>;

/** The plan (protocol/versions.ts's RetrainPlan) with what a reader needs to act on it. */
export const RetrainResponse = RetrainPlan.extend({
  object: z.literal("model_name.retrain"),
  dry_run: z.boolean(),
  /** The accepted items held out for the gate, as their own dataset version (null: none, or a dry run). */
  held_out_dataset_id: z.string().nullable(),
  /** The dataset version the original sample was drawn from (null: the current version is a base model). */
  original_dataset: z.string().nullable(),
  /** The current version's held-out examples the gate compares on (a dataset id; null: none). */
  original_held_out: z.string().nullable(),
  /** The plan in words: what is trained on, what is held out, what the gate can and cannot judge. */
  notes: z.array(z.string()),
}).openapi("RetrainResponse");
export type RetrainResponse = z.infer<typeof RetrainResponse>;
