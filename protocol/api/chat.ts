/** `/v1/chat/completions`, with Tailor's retrieval and citations under `tailor`. */
import { z } from "@hono/zod-openapi";
import { seconds } from "./shared.ts";

/** Why a choice ended, in OpenAI's words. */
export const CHAT_FINISH_REASONS = ["stop", "length"] as const;
export type ChatFinishReason = (typeof CHAT_FINISH_REASONS)[number];

const TextPart = z.object({ type: z.literal("text"), text: z.string() });

export const ChatRequestMessage = z.object({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string(), z.array(TextPart)]).nullable(),
  name: z.string().optional(),
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
    /** Tailor: answer from the user's documents (retrieval before generation, with citations). */
    tailor: z
      .object({
        vector_store_ids: z.array(z.string()).min(1).max(10),
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
          content: z.string(),
          refusal: z.null(),
        }),
        finish_reason: z.enum(CHAT_FINISH_REASONS),
        logprobs: z.null(),
      }),
    ),
    usage: Usage,
    tailor: Retrieval.optional(),
  })
  .openapi("ChatCompletion");

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
          content: z.string().optional(),
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
