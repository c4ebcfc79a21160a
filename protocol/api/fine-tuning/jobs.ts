/** `/v1/fine_tuning/jobs`: jobs, their events and checkpoints. */
import { z } from "@hono/zod-openapi";
import { JOB_EVENT_LEVELS, JOB_STATUSES } from "../../jobs.ts";
import { listOf, seconds } from "../shared.ts";

/** The most engine processes one job may ask for (one machine's GPUs, or its cores). */
export const MAX_PROCESSES = 64;

const autoOr = <T extends z.ZodTypeAny>(t: T) => z.union([z.literal("auto"), t]);

export const HyperparametersIn = z.object({
  n_epochs: autoOr(z.number().int().min(1).max(50)).optional(),
  batch_size: autoOr(z.number().int().min(1).max(256)).optional(),
  learning_rate_multiplier: autoOr(z.number().positive().max(10)).optional(),
  /** Tailor: the learning rate itself, instead of a multiplier of the auto one. */
  learning_rate: autoOr(z.number().positive().max(1)).optional(),
  /** Tailor: LoRA rank. */
  lora_rank: autoOr(z.number().int().min(1).max(256)).optional(),
});

export const DpoHyperparametersIn = HyperparametersIn.extend({
  /** How strongly the tuned model is held to its reference (OpenAI's `beta`). */
  beta: autoOr(z.number().positive().max(2)).optional(),
});

export const CreateJobRequest = z
  .object({
    model: z.string().min(1),
    training_file: z.string().min(1),
    validation_file: z.string().min(1).nullable().optional(),
    suffix: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,40}$/, "use up to 40 letters, digits, '.', '_' or '-'")
      .nullable()
      .optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .nullable()
      .optional(),
    hyperparameters: HyperparametersIn.optional(),
    method: z
      .discriminatedUnion("type", [
        z.object({
          type: z.literal("supervised"),
          supervised: z.object({ hyperparameters: HyperparametersIn.optional() }).optional(),
        }),
        z.object({
          type: z.literal("dpo"),
          dpo: z.object({ hyperparameters: DpoHyperparametersIn.optional() }).optional(),
        }),
        z
          .object({
            type: z.literal("classify"),
            classify: z.object({ hyperparameters: HyperparametersIn.optional() }).optional(),
          })
          .openapi({
            description:
              'Tailor: a text classifier. The training file holds labelled texts ({"text", "label"} or "labels" lines, or a text,label CSV); `model` is an encoder (all-minilm-l6-v2 built in), trained whole with a classification head (lora_rank does not apply)',
          }),
      ])
      .optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    processes: z.number().int().min(1).max(MAX_PROCESSES).optional().openapi({
      description:
        "Tailor: train on this many engine processes on the worker's machine, launched by torchrun (one per GPU, or sharing the CPU cores); supervised only. Default 1",
    }),
    nodes: z.number().int().min(1).max(MAX_PROCESSES).optional().openapi({
      description:
        "Tailor: train on this many machines at once, one worker on each (they share the store and TAILOR_SHARED_DIR), each running `processes` engine processes; supervised only. Default 1",
    }),
    shard: z.boolean().optional().openapi({
      description:
        "Tailor: shard the frozen base across the job's processes (FSDP), for a base that does not fit one GPU; needs processes or nodes above 1. Default false",
    }),
    requires_gpu: z.boolean().optional().openapi({
      description:
        "Tailor: run only on a worker that offers a GPU; the job waits in the queue until one takes it. Default false",
    }),
  })
  .openapi("CreateFineTuningJobRequest");

const HyperparametersOut = z.object({
  n_epochs: z.number().int(),
  batch_size: z.number().int(),
  learning_rate_multiplier: z.number(),
});

export const FineTuningJob = z
  .object({
    id: z.string(),
    object: z.literal("fine_tuning.job"),
    created_at: seconds,
    finished_at: seconds.nullable(),
    model: z.string(),
    fine_tuned_model: z.string().nullable(),
    organization_id: z.string(),
    status: z.enum(JOB_STATUSES),
    training_file: z.string(),
    validation_file: z.string().nullable(),
    hyperparameters: HyperparametersOut,
    method: z.discriminatedUnion("type", [
      z.object({
        type: z.literal("supervised"),
        supervised: z.object({ hyperparameters: HyperparametersOut }),
      }),
      z.object({
        type: z.literal("dpo"),
        dpo: z.object({ hyperparameters: HyperparametersOut.extend({ beta: z.number() }) }),
      }),
      z.object({
        type: z.literal("classify"),
        classify: z.object({ hyperparameters: HyperparametersOut }),
      }),
    ]),
    result_files: z.array(z.string()),
    trained_tokens: z.number().int().nullable(),
    seed: z.number().int(),
    error: z
      .object({ code: z.string(), message: z.string(), param: z.string().nullable() })
      .nullable(),
    estimated_finish: seconds.nullable(),
    integrations: z.null(),
    metadata: z.record(z.string(), z.string()).nullable(),
    user_provided_suffix: z.string().nullable(),
    tailor: z.object({
      model_name: z.string().openapi({
        description:
          "the name the fine-tuned model gets (`fine_tuned_model` once the job succeeds)",
      }),
      learning_rate: z.number(),
      lora_rank: z.number().int(),
      lora_alpha: z.number(),
      explanations: z.array(z.string()),
      parent: z.object({ name: z.string(), job_id: z.string().nullable() }).nullable().openapi({
        description: "the fine-tuned model this job continued from (null: from the base)",
      }),
      validation: z.object({ source: z.string(), examples: z.number().int(), note: z.string() }),
      attempts: z.number().int(),
      result: z
        .object({
          steps: z.number().int(),
          first_train_loss: z.number(),
          final_train_loss: z.number(),
          train_seconds: z.number(),
          stopped_early: z.boolean(),
          model_step: z.number().int(),
          best_val_loss: z.number().nullable(),
          summary: z.string(),
        })
        .nullable(),
    }),
  })
  .openapi("FineTuningJob");

export const FineTuningJobList = listOf(FineTuningJob).openapi("FineTuningJobList");

export const FineTuningJobEvent = z
  .object({
    id: z.string(),
    object: z.literal("fine_tuning.job.event"),
    created_at: seconds,
    level: z.enum(JOB_EVENT_LEVELS),
    message: z.string(),
    type: z.enum(["message", "metrics"]),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi("FineTuningJobEvent");

/**
 * One server-sent event of a job's stream as it travels: `event` names it, `id` is the event's
 * sequence number (resume with Last-Event-ID), `data` is JSON text: a FineTuningJobEvent, or the
 * FineTuningJob on the closing `done` (which has no id).
 */
export const FineTuningJobStreamEvent = z
  .object({
    event: z.enum(["fine_tuning.job.event", "done"]),
    id: z.string().optional().openapi({ description: "the event's sequence number; none on done" }),
    data: z.string().openapi({
      description: "JSON: a FineTuningJobEvent, or the FineTuningJob on `done`",
    }),
  })
  .openapi("FineTuningJobStreamEvent");
export const FineTuningJobEventList = listOf(FineTuningJobEvent).openapi("FineTuningJobEventList");

export const FineTuningCheckpoint = z
  .object({
    id: z.string(),
    object: z.literal("fine_tuning.job.checkpoint"),
    created_at: seconds,
    fine_tuned_model_checkpoint: z.string(),
    fine_tuning_job_id: z.string(),
    step_number: z.number().int(),
    metrics: z.object({
      step: z.number(),
      train_loss: z.number().nullable(),
      valid_loss: z.number().nullable(),
    }),
  })
  .openapi("FineTuningCheckpoint");
export const FineTuningCheckpointList = listOf(FineTuningCheckpoint).openapi(
  "FineTuningCheckpointList",
);
