import type { ChatMessage } from "../../protocol/index.ts";
import type { SearchHit } from "./search.ts";
import type { KnowledgeBase } from "./service.ts";
import type { VectorStore } from "./store.ts";
import { describeLocation } from "./types.ts";

export interface Citation {
  /** The passage's number in the prompt: the model cites it as [index]. */
  index: number;
  vector_store_id: string;
  file_id: string;
  filename: string;
  /** "page 3", "Leave › Annual leave", … ("" when the file has neither). */
  location: string;
  page: number | null;
  section: string | null;
  /** Position of the chunk in its file, from 0. */
  chunk: number;
  text: string;
  score: number;
  similarity: number;
}

export interface Grounding {
  /** The conversation with the passages (or the "nothing found" note) in its system message. */
  messages: ChatMessage[];
  citations: Citation[];
  /** false: nothing in the documents passed the relevance threshold. */
  found: boolean;
  query: string;
}

export interface GroundingOptions {
  /** The model's context window and the answer's room in it, in tokens. */
  contextLength: number;
  maxTokens: number;
  /** Exact prompt tokens with the model's tokenizer (else a conservative estimate is used). */
  countTokens?: ((messages: ChatMessage[]) => Promise<number>) | undefined;
  /** Passages at most (default 5). */
  maxPassages?: number | undefined;
  /** Tokens at most for the passages, whatever the context allows (default 2,000). */
  maxPassageTokens?: number | undefined;
  /** Cosine similarity a passage needs to be given to the model (default 0.3). */
  minSimilarity?: number | undefined;
  signal?: AbortSignal | undefined;
}

export const DEFAULT_MIN_SIMILARITY = 0.3;

/** A conservative token count: about three characters a token (English runs near four). */
export const estimateTokens = (text: string) => Math.ceil(text.length / 3);

const INSTRUCTIONS =
  "Answer the user's question from the numbered passages below, taken from the user's documents. Cite each passage you use by its number in square brackets, like [1] or [2]. If the passages do not answer the question, say that the documents do not cover it.";

function nothingFound(stores: VectorStore[]): string {
  const names = stores.map((s) => s.name).join(", ");
  return `The user's documents (${names}) were searched for this question and nothing relevant was found. Tell the user that their documents do not cover it, and do not make up an answer from them.`;
}

function header(c: Pick<Citation, "index" | "filename" | "location">): string {
  return `[${c.index}] ${c.filename}${c.location ? `, ${c.location}` : ""}`;
}

/** The conversation with `extra` added to its system message (made when there is none). */
function withSystem(messages: ChatMessage[], extra: string): ChatMessage[] {
  const i = messages.findIndex((m) => m.role === "system");
  if (i < 0) return [{ role: "system", content: extra }, ...messages];
  return messages.map((m, j) => (j === i ? { ...m, content: `${m.content}\n\n${extra}` } : m));
}

function citation(hit: SearchHit, index: number, text: string): Citation {
  return {
    index,
    vector_store_id: hit.vector_store_id,
    file_id: hit.file_id,
    filename: hit.filename,
    location: describeLocation(hit),
    page: hit.page,
    section: hit.heading,
    chunk: hit.seq,
    text,
    score: hit.score,
    similarity: hit.similarity,
  };
}

/**
 * Retrieval before generation: searches the stores for the last user message, keeps the passages
 * that are relevant enough and fit the model's context, and puts them, numbered, into the system
 * message; when none is relevant, the system message says so instead.
 */
export async function groundChat(
  kb: KnowledgeBase,
  stores: VectorStore[],
  messages: ChatMessage[],
  opts: GroundingOptions,
): Promise<Grounding> {
  const query =
    [...messages]
      .reverse()
      .find((m) => m.role === "user")
      ?.content.trim() ?? "";
  const maxPassages = opts.maxPassages ?? 5;
  const hits = query
    ? (await kb.search(stores, query, { k: maxPassages * 2, signal: opts.signal })).filter(
        (h) => h.similarity >= (opts.minSimilarity ?? DEFAULT_MIN_SIMILARITY),
      )
    : [];
  if (!hits.length) {
    return {
      messages: withSystem(messages, nothingFound(stores)),
      citations: [],
      found: false,
      query,
    };
  }
  const count =
    opts.countTokens ??
    (async (ms: ChatMessage[]) =>
      estimateTokens(ms.map((m) => m.content).join("\n")) + 8 * ms.length);
  const base = await count(withSystem(messages, INSTRUCTIONS));
  const room = Math.min(
    opts.maxPassageTokens ?? 2000,
    opts.contextLength - opts.maxTokens - base - 16,
  );
  const citations: Citation[] = [];
  let used = 0;
  for (const hit of hits.slice(0, maxPassages)) {
    const c = citation(hit, citations.length + 1, hit.text);
    const cost = estimateTokens(`${header(c)}\n${c.text}\n\n`);
    if (used + cost <= room) {
      citations.push(c);
      used += cost;
      continue;
    }
    const left = (room - used) * 3 - header(c).length - 4;
    if (left >= 200) citations.push({ ...c, text: `${c.text.slice(0, left).trimEnd()}…` });
    break;
  }
  const build = () =>
    withSystem(
      messages,
      `${INSTRUCTIONS}\n\n${citations.map((c) => `${header(c)}\n${c.text}`).join("\n\n")}`,
    );
  let grounded = build();
  // the estimate is conservative; the model's own tokenizer has the last word
  while (citations.length > 1 && (await count(grounded)) + opts.maxTokens > opts.contextLength) {
    citations.pop();
    grounded = build();
  }
  if (!citations.length) {
    return {
      messages: withSystem(messages, nothingFound(stores)),
      citations: [],
      found: false,
      query,
    };
  }
  return { messages: grounded, citations, found: true, query };
}
