import type { JobResult, JobSpec, JobStatus } from "../../protocol/index.ts";

/** The shapes a job stores as JSON are the protocol's (parsed when read back). */
export type {
  JobResult,
  JobSpec,
  ParentModel,
  TrainingMethod,
  ValidationPlan,
} from "../../protocol/index.ts";

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
