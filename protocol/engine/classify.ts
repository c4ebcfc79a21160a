/** Text classification: training an encoder with a classification head, and classifying (being written: issue 20). */
import { z } from "zod";
import { count, finite } from "./basics.ts";
import { ModelSource, opId } from "./requests.ts";

/**
 * Fine-tunes an encoder (all of its weights) with a classification head on labelled texts, and saves
 * the classifier folder `classify` reads: save_pretrained's model and tokenizer, and
 * `tailor_classifier.json` (labels in head order, multi_label, threshold, temperature, max_length,
 * base). Reports `metrics`, `evaluation` (val_token_accuracy is the classification accuracy),
 * `checkpoint` and `completed` as `train` does.
 */
export const TrainClassifierRequest = z.object({
  /** The encoder: a Hugging Face or sentence-transformers folder, a built-in, or a Hub id. */
  base: ModelSource,
  /** Chat JSONL whose lines carry `labels` (the text is the first user message). */
  train_file: z.string().min(1),
  /** Held-out lines: evaluation during training and the temperature's calibration. */
  val_file: z.string().min(1).optional(),
  out_dir: z.string().min(1),
  checkpoint_dir: z.string().min(1),
  model_name: z.string().min(1),
  /** The head's labels in order (default: every label of the training file, sorted). */
  labels: z.array(z.string().min(1)).min(2).optional(),
  /** Any number of labels per text, scored by sigmoid (default: when some line has not exactly one). */
  multi_label: z.boolean().optional(),
  epochs: z.number().int().min(1),
  learning_rate: z.number().positive(),
  batch_size: z.number().int().min(1),
  seed: z.number().int(),
  /** Tokens of a text the encoder reads; the rest is cut. */
  max_length: z.number().int().min(8).max(8192).default(256),
  warmup_ratio: z.number().min(0).max(1).default(0.1),
  weight_decay: z.number().min(0).default(0.01),
  max_grad_norm: z.number().positive().default(1.0),
  eval_every_steps: z.number().int().min(0).default(0),
  checkpoint_every_steps: z.number().int().min(0).default(0),
  /** Evaluations without a lower validation loss before the run stops (0: never). */
  early_stopping_patience: z.number().int().min(0).default(0),
  keep_checkpoints: z.number().int().min(1).default(2),
  /** A checkpoint folder of an earlier run of this same request: continue from it. */
  resume_from: z.string().min(1).optional(),
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
  /** Tokens the text took (after truncation to the classifier's max_length). */
  tokens: count,
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
  /** Tokens all the texts took. */
  prompt_tokens: count,
});
