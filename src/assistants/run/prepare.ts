/**
 * The conversation an answer is generated from: the instructions as the system message (first,
 * before whatever system message the conversation brought), and the passages of the assistant's
 * knowledge, found for the last question, with their citations.
 */
import type { ChatMessage, Tool } from "../../../protocol/index.ts";
import { type Citation, groundChat, type KnowledgeBase } from "../../knowledge/index.ts";
import { contextLength } from "../../models/index.ts";
import type { ChatEngine } from "../../serving/index.ts";
import type { TurnRequest } from "../types.ts";

/**
 * The instructions as the conversation's one leading system message: merged with a system message
 * the conversation has (the instructions first), or put in front of it. Blank instructions change
 * nothing.
 */
export function withInstructions(instructions: string, messages: ChatMessage[]): ChatMessage[] {
  const text = instructions.trim();
  if (!text) return messages;
  const at = messages.findIndex((m) => m.role === "system");
  const existing = at < 0 ? undefined : messages[at];
  const rest = at < 0 ? messages : messages.filter((_, i) => i !== at);
  const content = existing?.content.trim() ? `${text}\n\n${existing.content}` : text;
  return [{ role: "system", content }, ...rest];
}

export interface Grounded {
  messages: ChatMessage[];
  citations: Citation[];
  found: boolean;
}

/**
 * The passages of the request's vector stores for its last question, in the system message within
 * the model's context (the functions offered counted in the prompt, as the engine counts them).
 * The caller checked access to the stores; an unknown id fails as the store says.
 */
export async function ground(
  deps: {
    inference: Pick<ChatEngine, "countTokens">;
    knowledge: KnowledgeBase;
  },
  req: Pick<TurnRequest, "model" | "knowledge" | "sampling" | "signal">,
  messages: ChatMessage[],
  tools: Tool[] | undefined,
): Promise<Grounded> {
  const knowledge = req.knowledge;
  if (!knowledge?.storeIds.length) return { messages, citations: [], found: false };
  const stores = knowledge.storeIds.map((id) => deps.knowledge.store.get(id));
  const { model, signal } = req;
  const g = await groundChat(deps.knowledge, stores, messages, {
    contextLength: contextLength(model.source),
    maxTokens: req.sampling.max_tokens,
    maxPassages: knowledge.maxPassages,
    signal,
    countTokens: (ms) =>
      deps.inference.countTokens(
        { base: model.source, adapterDir: model.adapterDir, messages: ms, tools },
        { signal },
      ),
  });
  return { messages: g.messages, citations: g.citations, found: g.found };
}
