/** Requests (TypeScript -> engine, one JSON line on stdin), and `serve`'s operations. */
import { z } from "zod";
import { count } from "./basics.ts";
import { ServeFindNamesOp } from "./names.ts";
import { ResponseFormat, Tool, ToolCall, ToolChoice } from "./tools.ts";

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
  role: z.enum(["system", "user", "assistant", "tool"]),
  /** "" on an assistant message that only calls functions. */
  content: z.string(),
  /** On assistant messages: 0 excludes the message from the loss (OpenAI's `weight`). */
  weight: z.union([z.literal(0), z.literal(1)]).optional(),
  /** On assistant messages: the functions it calls. */
  tool_calls: z.array(ToolCall).min(1).optional(),
  /** On tool messages: the call this is the result of. */
  tool_call_id: z.string().min(1).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** A conversation and the functions the model was offered in it (one line of a chat JSONL file). */
export const Conversation = z.object({
  messages: z.array(ChatMessage).min(1),
  tools: z.array(Tool).min(1).optional(),
  parallel_tool_calls: z.boolean().optional(),
});
export type Conversation = z.infer<typeof Conversation>;

/** What a generation may or must produce besides free text. */
const Constraints = {
  /** Functions the model may call; calls come back parsed (`tool_calls`). */
  tools: z.array(Tool).min(1).optional(),
  tool_choice: ToolChoice.default("auto"),
  parallel_tool_calls: z.boolean().default(true),
  response_format: ResponseFormat.optional(),
  /**
   * Constrained decoding: function arguments and structured outputs always parse and validate
   * (a logits processor driven by the JSON Schema). false: the model's own output, parsed as it is.
   */
  constrained: z.boolean().default(true),
};

export const CreateTinyRequest = z.object({
  out_dir: z.string().min(1),
  seed: count.default(0),
  hidden_size: z.number().int().positive().default(64),
  layers: z.number().int().positive().default(2),
});
export type CreateTinyRequest = z.input<typeof CreateTinyRequest>;

export const TrainRequest = z.object({
  base: ModelSource,
  /** Chat JSONL, already validated by the TypeScript side (one Conversation per line). */
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
  /**
   * `sft`: learn the assistant answers. `dpo`: learn to prefer `preferred_output` over
   * `non_preferred_output` on each line (the reference model is the same weights, adapter off).
   */
  method: z.enum(["sft", "dpo"]).default("sft"),
  /** DPO's beta: how strongly the tuned model is held to its reference. */
  beta: z.number().positive().default(0.1),
  /**
   * Continue from a fine-tuned model: its adapter folder is where training starts (its LoRA rank,
   * alpha and target modules win over the ones above).
   */
  init_adapter_dir: z.string().min(1).optional(),
  /**
   * Under torchrun with several processes: shard the frozen base across them (FSDP), for a base
   * that does not fit one GPU; elsewhere it changes nothing (engine/tailor_engine/fsdp.py).
   */
  shard: z.boolean().default(false),
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
  ...Constraints,
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
  /** The functions offered in each conversation (same order; null: none). */
  tools: z.array(z.array(Tool).min(1).nullable()).optional(),
  /** Decode calls under their schemas (see GenerateRequest.constrained). */
  constrained: z.boolean().default(false),
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

export const opId = z.string().min(1);

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
  tools: z.array(Tool).min(1).optional(),
  /** Count the assistant turn's opening as generation does (false: the conversation alone). */
  add_generation_prompt: z.boolean().default(true),
});

/**
 * Labels for texts from a classifier folder (the `classify` command's request, with an id): answered
 * by a `classifications` message carrying the id. Classifiers are kept loaded like chat models.
 */
export const ServeClassifyOp = z.object({
  op: z.literal("classify"),
  id: opId,
  model_dir: z.string().min(1),
  input: z.array(z.string()).min(1),
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
  ServeClassifyOp,
  ServeFindNamesOp,
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
