/**
 * `/v1/chat/completions`, with functions (`tools`), structured outputs (`response_format`), and
 * Tailor's retrieval and citations under `tailor`.
 */
import { z } from "@hono/zod-openapi";
import { FUNCTION_NAME } from "../engine/tools.ts";
import { InlinePolicyInput } from "../moderation.ts";
import { seconds } from "./shared.ts";

/**
 * Why a choice ended, in OpenAI's words ("function_call": the legacy `functions` form of
 * "tool_calls").
 */
export const CHAT_FINISH_REASONS = [
  "stop",
  "length",
  "tool_calls",
  "function_call",
  /** A moderation policy blocked the question or the answer: the content is its refusal. */
  "content_filter",
] as const;
export type ChatFinishReason = (typeof CHAT_FINISH_REASONS)[number];

/** OpenAI's metadata: at most 16 pairs, keys up to 64 characters, values up to 512. */
export const MAX_METADATA_KEYS = 16;
export const Metadata = z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= MAX_METADATA_KEYS, {
    message: `at most ${MAX_METADATA_KEYS} keys`,
  })
  .openapi({
    description: "up to 16 key-value pairs (keys up to 64 characters, values up to 512)",
  });

const TextPart = z.object({ type: z.literal("text"), text: z.string() });
const Content = z.union([z.string(), z.array(TextPart)]);
const functionName = z
  .string()
  .regex(FUNCTION_NAME, "must be 1-64 letters, digits, underscores or dashes");

/** A JSON Schema (checked as one by the route: a zod record only says it is an object). */
const JsonSchema = z.record(z.string(), z.unknown()).openapi({ description: "a JSON Schema" });

export const ChatFunction = z
  .object({
    name: functionName,
    description: z.string().optional(),
    /** The arguments object's JSON Schema (none: no arguments). */
    parameters: JsonSchema.optional(),
    strict: z.boolean().nullable().optional(),
  })
  .openapi("FunctionObject");

export const ChatTool = z
  .object({ type: z.literal("function"), function: ChatFunction })
  .openapi("ChatCompletionTool");

/** A call in an answer: `arguments` is a JSON text (valid against the function's parameters). */
export const ChatToolCall = z
  .object({
    id: z.string().min(1),
    type: z.literal("function"),
    function: z.object({ name: z.string().min(1), arguments: z.string() }),
  })
  .openapi("ChatCompletionMessageToolCall");

/** `auto`: the model decides; `none`: words only; `required`: at least one call; or one function. */
export const ChatToolChoice = z
  .union([
    z.enum(["auto", "none", "required"]),
    z.object({ type: z.literal("function"), function: z.object({ name: z.string().min(1) }) }),
  ])
  .openapi("ChatCompletionToolChoiceOption");

export const ChatResponseFormat = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("text") }),
    z.object({ type: z.literal("json_object") }),
    z.object({
      type: z.literal("json_schema"),
      json_schema: z.object({
        name: functionName,
        description: z.string().optional(),
        schema: JsonSchema.optional(),
        strict: z.boolean().nullable().optional(),
      }),
    }),
  ])
  .openapi("ResponseFormat");

/** The legacy form of a call (`functions` / `function_call`). */
const FunctionCall = z.object({ name: z.string().min(1), arguments: z.string() });

/**
 * One message of the conversation. What each role needs (a tool message's `tool_call_id`, content
 * on all but an assistant's calls) is checked by the route, which names the field it misses.
 */
export const ChatRequestMessage = z.object({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  /** null or absent only on an assistant message that calls functions. */
  content: Content.nullable().optional(),
  name: z.string().optional(),
  /** On assistant messages: the functions it called. */
  tool_calls: z.array(ChatToolCall).optional(),
  /** On tool messages: the call this is the result of. */
  tool_call_id: z.string().optional(),
  /** Legacy: an assistant's call, answered by a `function` message named after it. */
  function_call: FunctionCall.nullable().optional(),
  refusal: z.string().nullable().optional(),
});

export const ChatCompletionRequest = z
  .object({
    model: z.string().min(1),
    messages: z.array(ChatRequestMessage).min(1),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().gt(0).max(1).nullable().optional(),
    /** Tailor: sample from the k most likely tokens only (0: no limit). */
    top_k: z.number().int().min(0).nullable().optional(),
    max_tokens: z.number().int().min(1).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).nullable().optional(),
    stop: z
      .union([z.string(), z.array(z.string()).max(4)])
      .nullable()
      .optional(),
    seed: z.number().int().min(0).nullable().optional(),
    n: z.number().int().min(1).max(8).nullable().optional(),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
    user: z.string().optional(),
    /**
     * Keep the answer for feedback (`GET /v1/chat/completions/{id}`, its feedback route); a model
     * name may keep its completions whatever this says.
     */
    store: z.boolean().nullable().optional(),
    /** Kept with a stored completion; `GET /v1/chat/completions` filters on it. */
    metadata: Metadata.nullable().optional(),
    /** Functions the model may call; its calls come back in `message.tool_calls`. */
    tools: z.array(ChatTool).optional(),
    tool_choice: ChatToolChoice.optional(),
    /** false: at most one call per answer (default true). */
    parallel_tool_calls: z.boolean().optional(),
    /** Output that parses as JSON (`json_object`) or validates against a schema (`json_schema`). */
    response_format: ChatResponseFormat.optional(),
    /** Legacy form of `tools` (answered with `message.function_call`, one call at most). */
    functions: z
      .array(ChatFunction.omit({ strict: true }))
      .optional()
      .openapi({ deprecated: true }),
    /** Legacy form of `tool_choice`. */
    function_call: z
      .union([z.enum(["auto", "none"]), z.object({ name: z.string().min(1) })])
      .optional()
      .openapi({ deprecated: true }),
    /**
     * Tailor: answer from the user's documents (retrieval before generation, with citations), and
     * moderation under a policy (`moderation`: a stored policy's name or id, or one given inline).
     */
    tailor: z
      .object({
        vector_store_ids: z.array(z.string()).min(1).max(10).optional(),
        /** Checked besides the policies attached to the model and to the key, never instead of them. */
        moderation: z.union([z.string().min(1), InlinePolicyInput]).optional(),
        /** Passages given to the model at most (default 5). */
        max_passages: z.number().int().min(1).max(20).optional(),
        /** Cosine similarity a passage needs (default 0.3); below it, nothing relevant is found. */
        min_similarity: z.number().min(-1).max(1).optional(),
      })
      .optional(),
  })
  .openapi("CreateChatCompletionRequest");

/** Tailor: a passage given to the model, which it cites as [index]. */
export const Citation = z
  .object({
    index: z.number().int(),
    vector_store_id: z.string(),
    file_id: z.string(),
    filename: z.string(),
    location: z.string().openapi({ description: '"page 3", "Leave › Annual leave", or ""' }),
    page: z.number().int().nullable(),
    section: z.string().nullable(),
    chunk: z.number().int(),
    text: z.string(),
    score: z.number(),
    similarity: z.number(),
  })
  .openapi("Citation");

/** Tailor: what retrieval found for a chat completion. */
export const Retrieval = z.object({
  citations: z.array(Citation),
  /** false: nothing relevant was found, and the model was told so. */
  found: z.boolean(),
  query: z.string(),
  vector_store_ids: z.array(z.string()),
});

const Usage = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

export const ChatCompletion = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: seconds,
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({
          role: z.literal("assistant"),
          /** null when the answer only calls functions. */
          content: z.string().nullable(),
          refusal: z.null(),
          tool_calls: z.array(ChatToolCall).optional(),
          /** Legacy: when the request offered `functions`. */
          function_call: FunctionCall.optional(),
        }),
        finish_reason: z.enum(CHAT_FINISH_REASONS),
        logprobs: z.null(),
      }),
    ),
    usage: Usage,
    tailor: Retrieval.optional(),
  })
  .openapi("ChatCompletion");

export const ToolCallFragment = z
  .object({
    /** Which call of the answer (0, 1, …). */
    index: z.number().int(),
    id: z.string().optional(),
    type: z.literal("function").optional(),
    function: z.object({ name: z.string().optional(), arguments: z.string().optional() }),
  })
  .openapi("ChatCompletionMessageToolCallChunk");

export const ChatCompletionChunk = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion.chunk"),
    created: seconds,
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        delta: z.object({
          role: z.literal("assistant").optional(),
          content: z.string().nullable().optional(),
          /**
           * Calls as they are generated: a call's first fragment has its id, type and name; later
           * ones (same `index`) carry more of its arguments' JSON text.
           */
          tool_calls: z.array(ToolCallFragment).optional(),
          function_call: z
            .object({ name: z.string().optional(), arguments: z.string().optional() })
            .optional(),
        }),
        finish_reason: z.enum(CHAT_FINISH_REASONS).nullable(),
        logprobs: z.null(),
      }),
    ),
    usage: Usage.nullable().optional(),
    /** Tailor: in a first chunk with no choices, when the request asked for retrieval. */
    tailor: Retrieval.optional(),
  })
  .openapi("ChatCompletionChunk");
