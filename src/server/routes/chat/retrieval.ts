import type { z } from "@hono/zod-openapi";
import type { ChatCompletionRequest, Retrieval } from "../../../../protocol/api/index.ts";
import type { ChatMessage, Tool } from "../../../../protocol/index.ts";
import { groundChat } from "../../../knowledge/index.ts";
import { contextLength, type ResolvedModel } from "../../../models/index.ts";
import type { Principal, ServerContext } from "../../context.ts";
import { ownedStore } from "../vector-stores/access.ts";

/**
 * Tailor's `tailor.vector_store_ids`: the conversation with passages from the caller's vector stores
 * in its system message (within the model's context), and what was given, to return as citations.
 */
export async function retrieveForChat(
  ctx: ServerContext,
  p: Principal,
  req: z.infer<typeof ChatCompletionRequest>,
  model: ResolvedModel,
  messages: ChatMessage[],
  /** The answer's token budget, and the functions offered (they take room in the prompt too). */
  opts: { maxTokens: number; tools?: Tool[] | undefined },
  signal: AbortSignal,
): Promise<{ messages: ChatMessage[]; retrieval: z.infer<typeof Retrieval> | undefined }> {
  const ask = req.tailor;
  if (!ask?.vector_store_ids) return { messages, retrieval: undefined };
  const stores = ask.vector_store_ids.map((id) => ownedStore(ctx, p, id));
  const g = await groundChat(ctx.knowledge, stores, messages, {
    contextLength: contextLength(model.source),
    maxTokens: opts.maxTokens,
    maxPassages: ask.max_passages,
    minSimilarity: ask.min_similarity,
    signal,
    countTokens: (ms) =>
      ctx.chat.countTokens(
        { base: model.source, adapterDir: model.adapterDir, messages: ms, tools: opts.tools },
        { signal },
      ),
  });
  return {
    messages: g.messages,
    retrieval: {
      citations: g.citations,
      found: g.found,
      query: g.query,
      vector_store_ids: stores.map((s) => s.id),
    },
  };
}
