import type { JobStatus, ModelSource } from "../../protocol/index.ts";
import type { HyperparameterInput, Hyperparameters } from "../training/index.ts";

/** Where a job's validation examples come from, decided when the job is created. */
export interface ValidationPlan {
  source: "file" | "dataset_split" | "auto_split" | "none";
  /** Examples held out (0 for none). */
  examples: number;
  /** One line for the user: which examples, and whether the overfitting guard is on. */
  note: string;
}

/** Everything decided when the job was created: what the worker runs, and why. */
export interface JobSpec {
  base_source: ModelSource;
  requested: HyperparameterInput;
  hyperparameters: Hyperparameters;
  /** Training examples after any automatic hold-out. */
  train_examples: number;
  validation: ValidationPlan;
  checkpoint_every_steps: number;
  eval_every_steps: number;
  early_stopping_patience: number;
  keep_checkpoints: number;
  /** The promotion gate: how much better than its base (0-1, primary metric) the model must be. */
  gate_min_delta?: number;
  /** How the caller named the data, when not by dataset id (the API's file ids). */
  files?: { training: string; validation: string | null };
}

export interface JobResult {
  steps: number;
  first_train_loss: number;
  final_train_loss: number;
  train_seconds: number;
  stopped_early: boolean;
  /** The step whose weights are the model (the best checkpoint when the guard chose it). */
  model_step: number;
  best_val_loss: number | null;
  /** Whether the model may be used as it is (see the promotion gate). */
  promotion?: { status: "ready" | "needs_review"; reason: string };
  /** What happened, in a few plain sentences. */
  summary: string;
}

export interface Job {
  id: string;
  status: JobStatus;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** Who created it (an API key's owner; null from the CLI). */
  owner: string | null;
  /** The base model's name. */
  base: string;
  /** The name the fine-tuned model gets. */
  model_name: string;
  /** Dataset version ids (ds-…). */
  training_file: string;
  validation_file: string | null;
  spec: JobSpec;
  error: { code: string; message: string } | null;
  fine_tuned_model: string | null;
  result: JobResult | null;
  /** How many times a worker has started it (more than one after a crash or a resume). */
  attempts: number;
  cancel_requested: boolean;
  /** The worker that holds it while it runs. */
  worker: string | null;
  engine_pid: number | null;
}

export interface JobCheckpoint {
  id: string;
  job_id: string;
  step: number;
  epoch: number;
  path: string;
  created_at: number;
  train_loss: number | null;
  val_loss: number | null;
}
