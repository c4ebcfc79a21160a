/**
 * Keeping a model healthy, part 2: a model name (`support`) points at one version at a time;
 * retraining makes a new version from accepted reviews, and the gate against the version in use
 * decides whether it is promoted; promote and roll back by hand, every change with who and why. The
 * API bodies live in protocol/api/model-names.ts; the domain in src/models/names and src/retrain.
 */
import { z } from "@hono/zod-openapi";

/** A model name as users write it: lowercase letters, digits, - and _ (not `ft:`, not `asst_`). */
export const ModelNameString = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, "lowercase letters, digits, - and _, starting with a letter");

/** One part of the gate: a set of held-out examples scored for both versions. */
export const GateSet = z.object({
  /** "original held-out", "accepted corrections held out", "regression set". */
  name: z.string(),
  examples: z.number().int(),
  metric: z.string(),
  current: z.number(),
  candidate: z.number(),
  /** Examples the candidate got worse than the current version (for the regression set: broken). */
  worse: z.number().int(),
  better: z.number().int(),
});
export type GateSet = z.infer<typeof GateSet>;

/**
 * The gate against the version in use: promoted only if the candidate is no worse on the original
 * held-out set, better on the accepted corrections held out, and breaks none of the regression set.
 */
export const GateDecision = z
  .object({
    promote: z.boolean(),
    /** In words a non-engineer can act on. */
    reason: z.string(),
    current: z.object({ version: z.number().int(), model: z.string() }),
    candidate: z.object({ model: z.string() }),
    sets: z.array(GateSet),
    decided_at: z.number().int(),
  })
  .openapi("GateDecision");
export type GateDecision = z.infer<typeof GateDecision>;

export const ModelVersion = z
  .object({
    /** v1, v2, ... in the order they were added to the name. */
    version: z.number().int(),
    /** The model id (a fine-tuned model, or a base). */
    model: z.string(),
    added_at: z.number().int(),
    added_by: z.string(),
    /** How it came: added by hand, or made by a retrain job. */
    origin: z.enum(["added", "retrain"]),
    job_id: z.string().nullable(),
    /** The gate's decision when a retrain made it (null when added by hand). */
    gate: GateDecision.nullable(),
  })
  .openapi("ModelVersion");
export type ModelVersion = z.infer<typeof ModelVersion>;

export const MODEL_NAME_ACTIONS = ["create", "add", "promote", "rollback", "refused"] as const;

/** One change of a name, for the audit trail and the studio's history. */
export const ModelNameEvent = z
  .object({
    seq: z.number().int(),
    name: z.string(),
    action: z.enum(MODEL_NAME_ACTIONS),
    from_version: z.number().int().nullable(),
    to_version: z.number().int().nullable(),
    who: z.string(),
    why: z.string(),
    at: z.number().int(),
  })
  .openapi("ModelNameEvent");
export type ModelNameEvent = z.infer<typeof ModelNameEvent>;

export const ModelName = z
  .object({
    name: z.string(),
    object: z.literal("model_name"),
    owner: z.string(),
    created_at: z.number().int(),
    /** The version answering now. */
    current: z.number().int(),
    current_model: z.string(),
    versions: z.array(ModelVersion),
    /** Keep chat completions to this name for feedback even when the caller does not ask (`store`). */
    store_completions: z.boolean(),
    /** Kept completions are deleted this many days after they were made. */
    retention_days: z.number().int(),
  })
  .openapi("ModelName");
export type ModelName = z.infer<typeof ModelName>;

/** What a retrain of a name uses: accepted reviews not used before, and a sample of the original. */
export const RetrainPlan = z
  .object({
    name: z.string(),
    current: z.object({ version: z.number().int(), model: z.string() }),
    /** Accepted review items going into training, and held out for the gate. */
    accepted: z.object({ train: z.array(z.string()), held_out: z.array(z.string()) }),
    /** Examples of the current version's original training data mixed in (so old skills are kept). */
    original_sample: z.number().int(),
    regression_examples: z.number().int(),
    /** The dataset version made of them (with lineage), once made. */
    dataset_id: z.string().nullable(),
    job_id: z.string().nullable(),
  })
  .openapi("RetrainPlan");
export type RetrainPlan = z.infer<typeof RetrainPlan>;
