import type { z } from "zod";
import type { FineTuningJob } from "../../protocol/api/index.ts";
import { describeSpec } from "./create.ts";
import { suffixOf } from "./naming.ts";
import type { Job } from "./types.ts";

/**
 * A job as OpenAI's fine-tuning job object, Tailor's own fields under `tailor`: what the API answers
 * and what `tailor … --json` prints.
 */
export function jobView(job: Job): z.infer<typeof FineTuningJob> {
  const hp = job.spec.hyperparameters;
  const out = {
    n_epochs: hp.epochs,
    batch_size: hp.batchSize,
    learning_rate_multiplier: job.spec.requested.learningRateMultiplier ?? 1,
  };
  return {
    id: job.id,
    object: "fine_tuning.job",
    created_at: job.created_at,
    finished_at: job.finished_at,
    model: job.spec.parent?.name ?? job.base, // as OpenAI: the model asked for (a fine-tuned one when continuing)
    fine_tuned_model: job.fine_tuned_model,
    organization_id: job.owner ?? "local",
    status: job.status,
    training_file: job.spec.files?.training ?? job.training_file,
    validation_file: job.spec.files ? job.spec.files.validation : job.validation_file,
    hyperparameters: out,
    method: methodView(job, out),
    result_files: [],
    trained_tokens: null,
    seed: hp.seed,
    error: job.error ? { code: job.error.code, message: job.error.message, param: null } : null,
    estimated_finish: null,
    integrations: null,
    metadata: null,
    user_provided_suffix: suffixOf(job.model_name),
    tailor: {
      model_name: job.model_name,
      learning_rate: hp.learningRate,
      lora_rank: hp.loraRank,
      lora_alpha: hp.loraAlpha,
      explanations: describeSpec(job.spec),
      parent: job.spec.parent
        ? { name: job.spec.parent.name, job_id: job.spec.parent.job_id ?? null }
        : null,
      validation: job.spec.validation,
      attempts: job.attempts,
      result: job.result,
    },
  };
}

type Out = { n_epochs: number; batch_size: number; learning_rate_multiplier: number };

/** OpenAI's `method` object for the job's way of training. */
function methodView(job: Job, out: Out): z.infer<typeof FineTuningJob>["method"] {
  switch (job.spec.method ?? "supervised") {
    case "dpo":
      return {
        type: "dpo",
        dpo: { hyperparameters: { ...out, beta: job.spec.hyperparameters.beta ?? 0.1 } },
      };
    case "classify":
      return { type: "classify", classify: { hyperparameters: out } };
    default:
      return { type: "supervised", supervised: { hyperparameters: out } };
  }
}
