/** Tailor: `/v1/fine_tuning/base_models` and `/v1/fine_tuning/plan`, what the studio shows before a job. */
import { z } from "@hono/zod-openapi";
import { MODEL_ORIGINS } from "../../models.ts";
import { HyperparametersIn } from "./jobs.ts";

export const BaseModelCard = z
  .object({
    id: z.string(),
    object: z.literal("tailor.base_model"),
    description: z.string(),
    parameters: z.number().int().nullable(),
    languages: z.array(z.string()),
    offline: z.boolean(),
    good_at: z.string(),
    origin: z.enum(MODEL_ORIGINS),
  })
  .openapi("BaseModelCard");
export const BaseModelCardList = z
  .object({ object: z.literal("list"), data: z.array(BaseModelCard) })
  .openapi("BaseModelCardList");

export const PlanRequest = z
  .object({
    model: z.string().min(1),
    training_file: z.string().min(1),
    validation_file: z.string().min(1).nullable().optional(),
    hyperparameters: HyperparametersIn.optional(),
  })
  .openapi("FineTuningPlanRequest");

const Histogram = z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() }));

export const FineTuningPlan = z
  .object({
    object: z.literal("tailor.fine_tuning.plan"),
    model: z.string(),
    training_file: z.string(),
    parameters: z.number().int().nullable(),
    hyperparameters: z.object({
      n_epochs: z.number().int(),
      batch_size: z.number().int(),
      learning_rate: z.number(),
      lora_rank: z.number().int(),
      lora_alpha: z.number(),
      seed: z.number().int(),
    }),
    /** One sentence per resolved value, saying where it came from. */
    explanations: z.array(z.string()),
    train_examples: z.number().int(),
    validation: z.object({ source: z.string(), examples: z.number().int(), note: z.string() }),
    tokens: z
      .object({
        min: z.number(),
        median: z.number(),
        max: z.number(),
        mean: z.number(),
        histogram: Histogram,
      })
      .nullable(),
    context_length: z.number().int().nullable(),
    tokens_per_epoch: z.number().nullable(),
    tokens_per_second: z.number().nullable(),
    estimated_seconds: z.number().nullable(),
    /** Problems only this base model has with the data (e.g. examples longer than it reads). */
    errors: z.array(z.object({ line: z.number().int().nullable(), message: z.string() })),
    warnings: z.array(z.object({ line: z.number().int().nullable(), message: z.string() })),
  })
  .openapi("FineTuningPlan");
