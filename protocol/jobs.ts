/**
 * Fine-tuning jobs: statuses and event types, defined once here for the store, the CLI, the server
 * and the studio. The statuses are OpenAI's, so the API can hand them out unchanged. Also what a
 * job stores about itself as JSON (its spec and its result), parsed with these when read back.
 */
import { z } from "zod";
import { ModelSource } from "./engine/index.ts";
import { PromotionStatus } from "./evals.ts";
import { GateDecision } from "./versions.ts";

export const JOB_STATUSES = [
  "validating_files",
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
] as const;
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;

/** A job in one of these never changes again (except `resume`, which re-queues a stopped job). */
export const TERMINAL_JOB_STATUSES = [
  "succeeded",
  "failed",
  "cancelled",
] as const satisfies readonly JobStatus[];

export function isTerminalStatus(status: JobStatus): boolean {
  return (TERMINAL_JOB_STATUSES as readonly string[]).includes(status);
}

/** A job stopped in one of these can be queued again (`resume`), to go on from its last checkpoint. */
export const RESUMABLE_JOB_STATUSES = [
  "cancelled",
  "failed",
] as const satisfies readonly JobStatus[];

export function isResumable(status: JobStatus): boolean {
  return (RESUMABLE_JOB_STATUSES as readonly string[]).includes(status);
}

/**
 * What a job's event log holds: `message` (plain progress in words), the engine's `metrics`,
 * `evaluation` and `checkpoint`, and exactly one terminal event per run of the job.
 */
export const JOB_EVENT_TYPES = [
  "message",
  "metrics",
  "evaluation",
  "checkpoint",
  "completed",
  "failed",
  "cancelled",
] as const;
export const JobEventType = z.enum(JOB_EVENT_TYPES);
export type JobEventType = z.infer<typeof JobEventType>;

export const TERMINAL_JOB_EVENT_TYPES = [
  "completed",
  "failed",
  "cancelled",
] as const satisfies readonly JobEventType[];

/** How much an event matters to the person watching the job. */
export const JOB_EVENT_LEVELS = ["info", "warn", "error"] as const;

export const JobEvent = z.object({
  object: z.literal("fine_tuning.job.event"),
  id: z.string(),
  job_id: z.string(),
  /** Order within the store; `after` in follow and list calls refers to it. */
  seq: z.number().int().positive(),
  created_at: z.number().int(),
  level: z.enum(JOB_EVENT_LEVELS),
  type: JobEventType,
  message: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type JobEvent = z.infer<typeof JobEvent>;

// --- what a job stores as JSON: decided at creation (spec), learned at the end (result) ---------

/** Hyperparameters a user may set; what is left out ("auto") is resolved from the data, model and machine. */
export const HyperparameterInput = z.object({
  epochs: z.number().optional(),
  learningRate: z.number().optional(),
  /** OpenAI's way to set the rate: a multiple of the automatic one (ignored when learningRate is set). */
  learningRateMultiplier: z.number().optional(),
  batchSize: z.number().optional(),
  loraRank: z.number().optional(),
  seed: z.number().optional(),
  /** DPO: how far the tuned model may move from its reference (higher: stays closer). */
  beta: z.number().optional(),
});
export type HyperparameterInput = z.infer<typeof HyperparameterInput>;

/** Every hyperparameter resolved, "auto" included. */
export const Hyperparameters = z.object({
  epochs: z.number(),
  learningRate: z.number(),
  batchSize: z.number(),
  loraRank: z.number(),
  loraAlpha: z.number(),
  seed: z.number(),
  /** DPO only. */
  beta: z.number().optional(),
  /** One line per value saying where it came from. */
  explanations: z.array(z.string()),
});
export type Hyperparameters = z.infer<typeof Hyperparameters>;

/** Where a job's validation examples come from, decided when the job is created. */
export const ValidationPlan = z.object({
  source: z.enum(["file", "dataset_split", "auto_split", "none"]),
  /** Examples held out (0 for none). */
  examples: z.number(),
  /** One line for the user: which examples, and whether the overfitting guard is on. */
  note: z.string(),
});
export type ValidationPlan = z.infer<typeof ValidationPlan>;

/**
 * How a job teaches the model: `supervised` (LoRA on example answers), `dpo` (LoRA on preference
 * pairs), `classify` (an encoder with a classification head on labelled texts).
 */
export const TRAINING_METHODS = ["supervised", "dpo", "classify"] as const;
export const TrainingMethod = z.enum(TRAINING_METHODS);
export type TrainingMethod = z.infer<typeof TrainingMethod>;

/** The fine-tuned model a job continues from (its adapter is where training starts). */
export const ParentModel = z.object({
  name: z.string(),
  /** The job that made the parent, when known. */
  job_id: z.string().optional(),
});
export type ParentModel = z.infer<typeof ParentModel>;

/** Everything decided when the job was created: what the worker runs, and why. */
export const JobSpec = z.object({
  base_source: ModelSource,
  /** Absent in jobs made before other methods existed: supervised. */
  method: TrainingMethod.optional(),
  /** Set when the job continues from a fine-tuned model instead of starting from the base. */
  parent: ParentModel.optional(),
  requested: HyperparameterInput,
  hyperparameters: Hyperparameters,
  /** Training examples after any automatic hold-out. */
  train_examples: z.number(),
  validation: ValidationPlan,
  checkpoint_every_steps: z.number(),
  eval_every_steps: z.number(),
  early_stopping_patience: z.number(),
  keep_checkpoints: z.number(),
  /** Engine processes the training runs on, launched by torchrun (absent: one, no launcher). */
  processes: z.number().int().min(1).optional(),
  /** Machines (one worker on each) the training spans, `processes` on each (absent: one). */
  nodes: z.number().int().min(1).optional(),
  /** The frozen base sharded across the processes (FSDP), for a base too big for one GPU. */
  shard: z.literal(true).optional(),
  /** Only a worker that offers a GPU may run it (absent: any worker). */
  gpu: z.literal(true).optional(),
  /** The promotion gate: how much better than its base (0-1, primary metric) the model must be. */
  gate_min_delta: z.number().optional(),
  /** How the caller named the data, when not by dataset id (the API's file ids). */
  files: z.object({ training: z.string(), validation: z.string().nullable() }).optional(),
  /**
   * A retrain of a model name (src/retrain): after its tests, the gate against the version in use
   * (src/jobs/recipe/gate.ts) decides whether the name moves to the new model.
   */
  retrain: z
    .object({
      name: z.string(),
      current_version: z.number().int(),
      current_model: z.string(),
      /** The dataset version of the accepted corrections held out for the gate (null: none). */
      held_out_dataset: z.string().nullable(),
      /** The original held-out examples (the current version's validation data; null: none). */
      original_held_out: z.string().nullable(),
      /** Who asked for the retrain (recorded with the promotion). */
      requested_by: z.string(),
    })
    .optional(),
});
export type JobSpec = z.infer<typeof JobSpec>;

/** What a finished run learned, and what it decided about the model. */
export const JobResult = z.object({
  steps: z.number(),
  first_train_loss: z.number(),
  final_train_loss: z.number(),
  train_seconds: z.number(),
  stopped_early: z.boolean(),
  /** The step whose weights are the model (the best checkpoint when the guard chose it). */
  model_step: z.number(),
  best_val_loss: z.number().nullable(),
  /** Whether the model may be used as it is (see the promotion gate). */
  promotion: z.object({ status: PromotionStatus, reason: z.string() }).optional(),
  /** A retrain: the gate against the version in use, and whether the name moved to this model. */
  gate: GateDecision.optional(),
  /** What happened, in a few plain sentences. */
  summary: z.string(),
});
export type JobResult = z.infer<typeof JobResult>;
