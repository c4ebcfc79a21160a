/** One answer of the chat API, streamed: words, pieces of calls, and what retrieval found. */
import { type ChatChunk, type Citation, sse } from "../../api.ts";
import type { CallFragment } from "./tools.ts";

export interface StreamHandlers {
  content: (delta: string) => void;
  calls: (fragments: CallFragment[]) => void;
  retrieval: (r: { citations: Citation[]; found: boolean }) => void;
  /** The completion's id (kept for feedback when asked with `store: true`). */
  id?: (id: string) => void;
}

export async function streamAnswer(
  body: Record<string, unknown>,
  signal: AbortSignal,
  on: StreamHandlers,
): Promise<void> {
  let named = false;
  for await (const chunk of sse("/v1/chat/completions", {
    signal,
    body: { ...body, stream: true },
  })) {
    if (chunk.data === "[DONE]") break;
    const c = JSON.parse(chunk.data) as ChatChunk;
    if (c.id && !named) {
      named = true; // every chunk of a completion carries the same id
      on.id?.(c.id);
    }
    if (c.tailor) on.retrieval(c.tailor);
    const delta = c.choices[0]?.delta;
    if (delta?.content) on.content(delta.content);
    if (delta?.tool_calls?.length) on.calls(delta.tool_calls);
  }
}
