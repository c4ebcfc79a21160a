/** Messages (engine -> TypeScript, one JSON line each on stdout). */
import { z } from "zod";
import { count, EngineErrorCode, finite } from "./basics.ts";
import { Classifications } from "./classify.ts";
import { Exported } from "./export.ts";
import { Names } from "./names.ts";
import { PairScores } from "./preference.ts";
import { opId } from "./requests.ts";
import { GeneratedCall, Tool, ToolFormat } from "./tools.ts";

export const Hello = z.object({
  type: z.literal("hello"),
  protocolVersion: z.number().int(),
  engineVersion: z.string(),
  python: z.string(),
  torch: z.string(),
  device: z.string(),
});

/** Long preparation work (loading, downloading) with an optional fraction done. */
export const Progress = z.object({
  type: z.literal("progress"),
  stage: z.string(),
  message: z.string(),
  current: finite.optional(),
  total: finite.optional(),
});

export const Metrics = z.object({
  type: z.literal("metrics"),
  step: count,
  total_steps: count,
  epoch: finite,
  train_loss: finite,
  learning_rate: finite,
  tokens_per_second: finite,
  grad_norm: finite.optional(),
  elapsed_seconds: finite,
  /** Time left at this process's pace (a resumed run counts only the steps it ran itself). */
  eta_seconds: finite,
  /** DPO: the share of the step's pairs where the preferred answer gained on the other. */
  reward_accuracy: finite.optional(),
  /** DPO: beta x how much more the preferred answer gained than the other, on average. */
  reward_margin: finite.optional(),
});

export const Evaluation = z.object({
  type: z.literal("evaluation"),
  step: count,
  epoch: finite,
  /** DPO: the DPO loss on the held-out pairs. */
  val_loss: finite,
  /** DPO: on the held-out pairs' preferred answers. */
  val_token_accuracy: finite,
  /** DPO: the share of held-out pairs where the preferred answer gained on the other. */
  reward_accuracy: finite.optional(),
  /** DPO: the held-out pairs' mean reward margin. */
  reward_margin: finite.optional(),
});

export const Checkpoint = z.object({
  type: z.literal("checkpoint"),
  step: count,
  epoch: finite,
  path: z.string(),
  train_loss: finite.optional(),
  /** When the checkpoint follows an evaluation. */
  val_loss: finite.optional(),
});

export const Completed = z.object({
  type: z.literal("completed"),
  model: z.string(),
  path: z.string(),
  steps: count,
  first_train_loss: finite,
  final_train_loss: finite,
  train_seconds: finite,
  trainable_parameters: count,
  total_parameters: count,
  /** The overfitting guard ended the run before its last step. */
  stopped_early: z.boolean(),
  /** The step whose adapter is the model (the best by validation loss when the guard is on). */
  model_step: count,
  best_val_loss: finite.optional(),
  /** How functions were shown to the model, when the examples had any. */
  tool_format: ToolFormat.optional(),
  /** The functions offered in the training examples (the first definition of each name). */
  tools: z.array(Tool).optional(),
});

export const Failed = z.object({
  type: z.literal("failed"),
  code: EngineErrorCode,
  message: z.string(),
});

export const DoctorReport = z.object({
  type: z.literal("doctor"),
  python: z.string(),
  python_executable: z.string(),
  packages: z.record(z.string(), z.string().nullable()),
  device: z.string(),
  cuda_available: z.boolean(),
  mps_available: z.boolean(),
  threads: count,
  /** The malloc the engine runs with: mimalloc (the default), tcmalloc, jemalloc or system. */
  allocator: z.string(),
  builtin_models: z.array(
    z.object({ name: z.string(), path: z.string().nullable(), present: z.boolean() }),
  ),
});

export const ModelCreated = z.object({
  type: z.literal("model_created"),
  path: z.string(),
  parameters: count,
  vocab_size: count,
});

export const Generation = z.object({
  type: z.literal("generation"),
  /** The answer in words ("" when the model only called functions). */
  text: z.string(),
  /** The calls in the answer, when functions were offered and the model called any. */
  tool_calls: z.array(GeneratedCall).optional(),
  prompt_tokens: count,
  completion_tokens: count,
  finish_reason: z.enum(["stop", "length", "tool_calls"]),
});

/** The answers of `generate-batch`: one entry per model, texts in conversation order. */
export const Generations = z.object({
  type: z.literal("generations"),
  results: z.array(
    z.object({
      texts: z.array(z.string()),
      /** When functions were offered: each answer's calls (null: it answered in words). */
      tool_calls: z.array(z.array(GeneratedCall).nullable()).optional(),
      completion_tokens: z.array(count),
      seconds: finite,
    }),
  ),
});

export const TokenCounts = z.object({
  type: z.literal("token_counts"),
  /** One count per example, in file order: the whole conversation as the model sees it. */
  counts: z.array(count),
  context_length: count,
  /** Training throughput measured on this machine (LoRA, batch of one), when asked for. */
  tokens_per_second: finite.positive().nullable(),
});

// Replies of `serve`, each naming the operation it answers. None of them ends the process.

/** Newly generated text of one choice of a streaming `generate`. */
export const Delta = z.object({
  type: z.literal("delta"),
  id: opId,
  index: count,
  text: z.string(),
});

/**
 * A streamed call of one choice: the first fragment of call `call` has its name, later ones carry
 * more of its arguments' JSON text (fragments joined in order give `arguments` of the result).
 */
export const ToolCallDelta = z.object({
  type: z.literal("tool_call_delta"),
  id: opId,
  index: count,
  call: count,
  name: z.string().optional(),
  arguments: z.string(),
});

export const FINISH_REASONS = ["stop", "length", "tool_calls", "cancelled"] as const;

/** The end of a `generate`: every choice (choices after a cancelled one are not generated). */
export const GenerationResult = z.object({
  type: z.literal("result"),
  id: opId,
  choices: z.array(
    z.object({
      index: count,
      text: z.string(),
      tool_calls: z.array(GeneratedCall).optional(),
      finish_reason: z.enum(FINISH_REASONS),
    }),
  ),
  prompt_tokens: count,
  /** Over all choices. */
  completion_tokens: count,
});

/** Unit-length vectors, one per input, in input order. */
export const Embeddings = z.object({
  type: z.literal("embeddings"),
  id: opId,
  data: z.array(z.array(finite)),
  prompt_tokens: count,
});

export const TokenCount = z.object({
  type: z.literal("token_count"),
  id: opId,
  prompt_tokens: count,
});

/** An operation failed; the process goes on. `id` is null when the line had no readable id. */
export const OpError = z.object({
  type: z.literal("error"),
  id: opId.nullable(),
  code: EngineErrorCode,
  message: z.string(),
});

export const EngineMessage = z.discriminatedUnion("type", [
  Hello,
  Progress,
  Metrics,
  Evaluation,
  Checkpoint,
  Completed,
  Failed,
  DoctorReport,
  ModelCreated,
  Generation,
  Generations,
  TokenCounts,
  Delta,
  ToolCallDelta,
  GenerationResult,
  Embeddings,
  TokenCount,
  OpError,
  PairScores,
  Classifications,
  Names,
  Exported,
]);
export type EngineMessage = z.infer<typeof EngineMessage>;
export type EngineMessageOf<T extends EngineMessage["type"]> = Extract<EngineMessage, { type: T }>;

/** After one of these the engine exits; nothing else follows. */
export const TERMINAL_MESSAGE_TYPES = [
  "completed",
  "failed",
  "doctor",
  "model_created",
  "generation",
  "generations",
  "token_counts",
  "pair_scores",
  "classifications",
  "exported",
] as const satisfies readonly EngineMessage["type"][];
