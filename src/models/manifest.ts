import { z } from "zod";
import { Promotion } from "../../protocol/evals.ts";
import {
  ModelSource,
  ParentModel,
  Tool,
  ToolFormat,
  TrainingMethod,
} from "../../protocol/index.ts";

/** Names may hold ':' for the API's `ft:<base>:<suffix>:<id>`; folders get '_' in its place. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const ModelName = z
  .string()
  .regex(
    MODEL_NAME,
    "use 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
  );

/** What a fine-tune recorded about itself. */
export const TrainingSummary = z.object({
  /** The job that made it (absent in models made before jobs existed). */
  job_id: z.string().optional(),
  train_file: z.string(),
  val_file: z.string().optional(),
  train_examples: z.number().int(),
  epochs: z.number().int(),
  learning_rate: z.number(),
  batch_size: z.number().int(),
  lora_rank: z.number().int(),
  lora_alpha: z.number(),
  seed: z.number().int(),
  steps: z.number().int(),
  first_train_loss: z.number(),
  final_train_loss: z.number(),
  train_seconds: z.number(),
  stopped_early: z.boolean().optional(),
  /** The step whose weights these are (earlier than `steps` when the overfitting guard chose it). */
  model_step: z.number().int().optional(),
  best_val_loss: z.number().optional(),
});

/** `tailor-model.json`, stored in the model's own folder under TAILOR_HOME/models/. */
export const ModelManifest = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("base"),
    name: ModelName,
    created_at: z.number().int(),
    source: ModelSource,
    description: z.string().optional(),
  }),
  z.object({
    kind: z.literal("fine_tuned"),
    name: ModelName,
    created_at: z.number().int(),
    base: z.object({ name: z.string(), source: ModelSource }),
    /** How it was taught (absent: supervised). */
    method: TrainingMethod.optional(),
    /** The fine-tuned model it continued from (absent: trained from its base). */
    parent: ParentModel.optional(),
    /** A classifier's labels, in the order of its head's outputs. */
    labels: z.array(z.string()).optional(),
    /** A classifier that gives each text any number of labels (else exactly one). */
    multi_label: z.boolean().optional(),
    training: TrainingSummary,
    /** The functions it was trained to call, and how it writes calls (absent: trained without). */
    tools: z.array(Tool).optional(),
    tool_format: ToolFormat.optional(),
    /** Whether it may be used as it is (absent in models made before evaluation existed). */
    promotion: Promotion.optional(),
  }),
]);
export type ModelManifest = z.infer<typeof ModelManifest>;
export const MANIFEST_FILE = "tailor-model.json";
