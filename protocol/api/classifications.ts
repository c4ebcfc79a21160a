/**
 * `/v1/classifications` (Tailor's own route; OpenAI has none): labels with scores for texts from a
 * classifier trained with `method: {type: "classify"}`. Shaped like `/v1/embeddings`: a list with
 * one object per input, in input order.
 */
import { z } from "@hono/zod-openapi";

/** Texts per request; send more in several requests. */
export const MAX_CLASSIFICATION_INPUTS = 2048;

export const ClassificationRequest = z
  .object({
    model: z.string().min(1).openapi({ description: "a classifier's name (GET /v1/models)" }),
    input: z
      .union([z.string(), z.array(z.string())])
      .openapi({ description: `one text, or up to ${MAX_CLASSIFICATION_INPUTS} texts` }),
  })
  .openapi("CreateClassificationRequest");

export const ScoredLabel = z.object({ label: z.string(), score: z.number() });

export const ClassificationObject = z
  .object({
    object: z.literal("classification"),
    index: z.number().int(),
    /**
     * The predicted label (single-label), or the highest-scoring predicted one (multi-label; null
     * when no label reaches the threshold).
     */
    label: z.string().nullable(),
    /** Every predicted label, highest score first (single-label: just `label`). */
    predicted: z.array(z.string()),
    /** Every label of the classifier with its score, highest first. */
    labels: z.array(ScoredLabel),
  })
  .openapi("Classification");

export const ClassificationResponse = z
  .object({
    object: z.literal("list"),
    model: z.string(),
    data: z.array(ClassificationObject),
    /** Whether a text may have several labels (scores are then independent, each 0 to 1). */
    multi_label: z.boolean(),
    /** Multi-label: a label is predicted when its score is at least this. */
    threshold: z.number(),
    usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
  })
  .openapi("CreateClassificationResponse");
