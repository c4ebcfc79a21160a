/** Text classification: training an encoder with a classification head, and classifying (being written: issue 20). */
import { z } from "zod";
import { count, finite } from "./basics.ts";
import { ModelSource, opId } from "./requests.ts";

export const TrainClassifierRequest = z.object({
  base: ModelSource,
  train_file: z.string().min(1),
  val_file: z.string().min(1).optional(),
  out_dir: z.string().min(1),
});
export type TrainClassifierRequest = z.input<typeof TrainClassifierRequest>;

/**
 * Labels for texts from a saved classifier: a folder holding the model and tokenizer
 * (save_pretrained) and `tailor_classifier.json` (labels in head order, multi_label, threshold,
 * temperature, max_length, base).
 */
export const ClassifyRequest = z.object({
  model_dir: z.string().min(1),
  input: z.array(z.string()).min(1),
});
export type ClassifyRequest = z.input<typeof ClassifyRequest>;

export const LabelScore = z.object({ label: z.string(), score: finite });

/** One text's labels. */
export const Classification = z.object({
  /** Every label with its score, highest first (softmax for single-label, sigmoid for multi-label). */
  labels: z.array(LabelScore),
  /**
   * The chosen labels: the top one (single-label), or every label scoring at least the threshold,
   * highest first (multi-label; possibly none).
   */
  predicted: z.array(z.string()),
});

/** The answer of `classify`, and of serve's `classify` operation (which adds its `id`). */
export const Classifications = z.object({
  type: z.literal("classifications"),
  id: opId.optional(),
  /** One per input text, in input order. */
  results: z.array(Classification),
  multi_label: z.boolean(),
  /** A multi-label classifier's cut-off (0.5 unless it was calibrated otherwise). */
  threshold: finite,
  /** Tokens the texts took (after truncation to the classifier's max_length). */
  prompt_tokens: count,
});
