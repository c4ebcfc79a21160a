/**
 * Evaluation reports, promotion gates and model cards: what `tailor eval` prints with --json, what
 * a job stores with the model it made (TAILOR_HOME/models/<name>/evaluation.json, model-card.json,
 * MODEL_CARD.md), and what the API returns at /v1/models/{model}/evaluation and /card.
 */
import { z } from "zod";
import { BiasProbe } from "./bias.ts";
import { GeneratedCall } from "./engine/tools.ts";
import { ForgettingCheck } from "./forgetting.ts";

/** "tools": the examples offer functions, and the expected answers are calls or words. */
export const OUTPUT_KINDS = ["json", "label", "text", "tools"] as const;
export const OutputKind = z.enum(OUTPUT_KINDS);

/** Every metric a report may hold; which ones it holds depends on the kind of output. */
export const METRICS = {
  exact_match: "exact match: the answer is the expected one, word for word",
  token_f1: "token F1: how many words the answer shares with the expected one",
  rouge_l: "ROUGE-L: the longest run of words in the expected order, as an F-score",
  length_ratio: "length ratio: answer length over expected length (1 is the same length)",
  valid_json: "valid JSON: the share of answers that are a JSON object",
  field_accuracy: "field accuracy: the share of expected JSON fields answered exactly",
  accuracy: "accuracy: the share of answers with the expected label",
  macro_f1: "macro-F1: each label's F-score, averaged, so rare labels count as much as common ones",
  tool_accuracy:
    "tool accuracy: the share of answers that call when a call is expected (the expected functions, with exactly the expected arguments) and answer in words when words are",
  decision_accuracy:
    "decision accuracy: the share of answers that call a function when a call is expected and answer in words when words are",
  function_accuracy:
    "function accuracy: of the answers expected to call, the share that call the expected functions",
  arguments_exact:
    "arguments exact: of the answers expected to call, the share whose calls have exactly the expected arguments",
  argument_fields:
    "argument field accuracy: the share of expected argument values given exactly (each field in the report)",
  calls_parse: "calls that parse: the share of the calls made whose arguments are a JSON object",
  calls_valid:
    "valid calls: the share of the calls made whose arguments parse and fit the function's schema",
  words_rouge_l:
    "words ROUGE-L: of the answers expected in words, ROUGE-L against the expected words",
  pair_accuracy:
    "pair accuracy: the share of held-out preference pairs where the model finds the preferred answer more likely than the other, per token",
  reward_accuracy:
    "reward accuracy: the share of held-out preference pairs where tuning made the preferred answer gain on the other, against the base",
} as const;
export type MetricName = keyof typeof METRICS;
export const MetricName = z.enum(Object.keys(METRICS) as [MetricName, ...MetricName[]]);

/** The metric the promotion gate and wins/losses use, per kind of output. */
export const PRIMARY_METRIC: Record<z.infer<typeof OutputKind>, MetricName> = {
  json: "field_accuracy",
  label: "accuracy",
  text: "rouge_l",
  tools: "tool_accuracy",
};

export const Confusion = z.object({
  labels: z.array(z.string()),
  /** matrix[i][j]: expected labels[i], answered labels[j]. */
  matrix: z.array(z.array(z.number().int())),
});

export const ModelScores = z.object({
  model: z.string(),
  metrics: z.partialRecord(MetricName, z.number()),
  confusion: Confusion.optional(),
  /** Tool data: each expected argument ("function.field"), how often it was given exactly. */
  argument_fields: z
    .record(z.string(), z.object({ correct: z.number().int(), total: z.number().int() }))
    .optional(),
  /** Wall-clock seconds spent generating, and the tokens generated. */
  seconds: z.number(),
  completion_tokens: z.number().int(),
});
export type ModelScores = z.infer<typeof ModelScores>;

export const Outcome = z.enum(["win", "tie", "loss"]);

export const ExampleResult = z.object({
  /** 1-based line of the example in the evaluated file. */
  line: z.number().int(),
  /** The last user message (what a reader needs to judge the answers). */
  prompt: z.string(),
  expected: z.string(),
  /** One per model, in the order of `models`. */
  outputs: z.array(z.string()),
  /** The primary metric for this example, one per model. */
  scores: z.array(z.number()),
  /** The first model against the second (null without a comparison). */
  outcome: Outcome.nullable(),
  /** Tool data: the expected calls and each model's (null: words). */
  calls: z
    .object({
      expected: z.array(GeneratedCall).nullable(),
      outputs: z.array(z.array(GeneratedCall).nullable()),
    })
    .optional(),
  /** Preference pairs: the answer the model should not give (`expected` is the preferred one). */
  non_preferred: z.string().optional(),
  /** Preference pairs, one per model: mean log p per token of the preferred answer minus the other's. */
  margins: z.array(z.number()).optional(),
});
export type ExampleResult = z.infer<typeof ExampleResult>;

/**
 * A text classifier's test beyond accuracy and macro-F1 (its report's `models` are the classifier and
 * the majority-label baseline: a classifier has no base model that could answer).
 */
export const ClassificationDetails = z.object({
  /** The classifier's labels (its head's order). */
  labels: z.array(z.string()),
  multi_label: z.boolean(),
  /** Each label on the held-out texts: precision, recall and F1 (0-1), and how many texts have it. */
  per_label: z.record(
    z.string(),
    z.object({
      precision: z.number(),
      recall: z.number(),
      f1: z.number(),
      support: z.number().int(),
    }),
  ),
  /** What the baseline answers: the most common training label (multi-label: those most texts have). */
  baseline: z.object({
    labels: z.array(z.string()),
    /** Counted on the training texts, or on the held-out ones when the training counts are gone. */
    counted_on: z.enum(["training", "held-out"]),
  }),
  /**
   * Expected calibration error of the scores (how far confidence is from accuracy, 10 bins; 0 is
   * perfect), with the scores the classifier gives (`after`, calibrated by its temperature) and
   * without the temperature (`before`).
   */
  calibration: z.object({
    temperature: z.number(),
    ece_before: z.number(),
    ece_after: z.number(),
  }),
  /** Single-label: the classifier's confusion table (also in its ModelScores; here for the card). */
  confusion: Confusion.optional(),
});
export type ClassificationDetails = z.infer<typeof ClassificationDetails>;

export const EvaluationReport = z.object({
  object: z.literal("tailor.evaluation"),
  created_at: z.number().int(),
  /** The data evaluated on: a file path or dataset version, and how many examples. */
  data: z.object({ source: z.string(), examples: z.number().int() }),
  kind: OutputKind,
  primary_metric: MetricName,
  /** The evaluated model first, the one it is compared with (if any) second. */
  models: z.array(ModelScores).min(1).max(2),
  /** First minus second, per metric (null without a comparison). */
  deltas: z.partialRecord(MetricName, z.number()).nullable(),
  outcome: z
    .object({ wins: z.number().int(), ties: z.number().int(), losses: z.number().int() })
    .nullable(),
  examples: z.array(ExampleResult),
  /**
   * A model continued from another: that parent on the same examples, next to the first model
   * (`outcome`: the first model against the parent). The promotion gate still compares with `models`.
   */
  parent: z
    .object({
      model: z.string(),
      metrics: z.partialRecord(MetricName, z.number()),
      outcome: z.object({
        wins: z.number().int(),
        ties: z.number().int(),
        losses: z.number().int(),
      }),
    })
    .optional(),
  /** Text classifiers only. */
  classification: ClassificationDetails.optional(),
  /**
   * Preference pairs (DPO): how many were scored and each model's mean margin (in the order of
   * `models`; log-probability per answer token). Each model's pair accuracy is in its metrics; the
   * answers side by side are in `examples`.
   */
  preference: z.object({ pairs: z.number().int(), mean_margins: z.array(z.number()) }).optional(),
  /** Counterfactual twins of held-out inputs that mention people (src/evals/bias). */
  bias: BiasProbe.optional(),
  /** The general-ability set on the base and the tuned model (src/evals/forgetting). */
  forgetting: ForgettingCheck.optional(),
  settings: z.object({
    max_tokens: z.number().int(),
    batch_size: z.number().int(),
    greedy: z.boolean(),
    /** Function arguments decoded under their schemas (tool data only). */
    constrained: z.boolean().optional(),
  }),
});
export type EvaluationReport = z.infer<typeof EvaluationReport>;

export const PROMOTION_STATUSES = ["ready", "needs_review"] as const;
export const PromotionStatus = z.enum(PROMOTION_STATUSES);

/** Whether a fine-tuned model may be used as it is, and why. */
export const Promotion = z.object({
  status: PromotionStatus,
  /** One sentence a non-engineer can act on. */
  reason: z.string(),
  metric: MetricName.nullable(),
  model_score: z.number().nullable(),
  base_score: z.number().nullable(),
  /** The tuned model must score at least base + min_delta on the primary metric. */
  min_delta: z.number(),
  decided_at: z.number().int(),
});
export type Promotion = z.infer<typeof Promotion>;

export const ModelCard = z.object({
  object: z.literal("tailor.model_card"),
  model: z.string(),
  base: z.object({ name: z.string(), source: z.string() }),
  /**
   * The fine-tuned model it continued from (its adapter is where training started), with the data
   * that parent was trained on; absent or null: trained from its base.
   */
  parent: z
    .object({
      model: z.string(),
      job_id: z.string().nullable(),
      /** The parent's training data (a dataset version id) and examples, while they are known. */
      training_data: z.string().nullable(),
      examples: z.number().int().nullable(),
      /** The parent was deleted since (this model holds its whole adapter and works without it). */
      deleted: z.boolean(),
    })
    .nullable()
    .optional(),
  created_at: z.number().int(),
  /** Who made it: the API key's name or the local user, and the job. */
  created_by: z.string(),
  job_id: z.string().nullable(),
  datasets: z.array(
    z.object({
      role: z.enum(["training", "validation"]),
      id: z.string(),
      sha256: z.string(),
      examples: z.number().int(),
      /** Personal data found and redacted, by kind (e.g. {"email": 3}). */
      pii_found: z.record(z.string(), z.number().int()),
      pii_redacted: z.record(z.string(), z.number().int()),
    }),
  ),
  hyperparameters: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  training: z.object({
    steps: z.number().int(),
    model_step: z.number().int(),
    first_train_loss: z.number().nullable(),
    final_train_loss: z.number().nullable(),
    best_val_loss: z.number().nullable(),
    final_val_loss: z.number().nullable(),
    stopped_early: z.boolean(),
    seconds: z.number(),
    /** A few points of each curve, for a sparkline: [step, loss]. */
    train_curve: z.array(z.tuple([z.number(), z.number()])),
    val_curve: z.array(z.tuple([z.number(), z.number()])),
  }),
  evaluation: z
    .object({
      data: z.string(),
      examples: z.number().int(),
      kind: OutputKind,
      primary_metric: MetricName,
      model: z.partialRecord(MetricName, z.number()),
      base: z.partialRecord(MetricName, z.number()).nullable(),
      outcome: z
        .object({ wins: z.number().int(), ties: z.number().int(), losses: z.number().int() })
        .nullable(),
      /** The model it continued from, on the same examples (see EvaluationReport.parent). */
      parent: EvaluationReport.shape.parent,
      /** Text classifiers: per-label scores, the baseline, calibration (the table is in the report). */
      classification: ClassificationDetails.optional(),
      bias: BiasProbe.optional(),
      forgetting: ForgettingCheck.optional(),
    })
    .nullable(),
  promotion: Promotion,
  intended_use: z.string(),
  limitations: z.array(z.string()),
});
export type ModelCard = z.infer<typeof ModelCard>;
