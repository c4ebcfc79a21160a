/** What computes embeddings: the inference engine (InferenceEngine has this shape). */
export interface Embedder {
  embed(
    input: string[],
    opts?: { model?: string | undefined; signal?: AbortSignal | undefined },
  ): Promise<{ data: number[][] }>;
}

/** The default embedding model, shipped offline in a PyPI package (384 dimensions). */
export const DEFAULT_EMBEDDING_MODEL = "all-minilm-l6-v2";
export const EMBED_BATCH = 64;

/** The name the engine knows: undefined for the built-in model, else a sentence-transformers name or folder. */
export function engineModelName(model: string): string | undefined {
  const m = model.toLowerCase().replace(/^sentence-transformers\//, "");
  return m === DEFAULT_EMBEDDING_MODEL ? undefined : model;
}

/** Embeds texts in batches of EMBED_BATCH, saying after each how many are done. */
export async function embedAll(
  embedder: Embedder,
  texts: string[],
  opts: {
    model: string;
    onProgress?: ((done: number, total: number) => void) | undefined;
    signal?: AbortSignal | undefined;
  },
): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < texts.length; i += EMBED_BATCH) {
    const batch = texts.slice(i, i + EMBED_BATCH);
    const { data } = await embedder.embed(batch, {
      model: engineModelName(opts.model),
      signal: opts.signal,
    });
    out.push(...data);
    opts.onProgress?.(out.length, texts.length);
  }
  return out;
}

/** The text embedded for a chunk: its heading gives the passage its context. */
export function embeddingText(c: { heading: string | null; text: string }): string {
  return c.heading ? `${c.heading}\n${c.text}` : c.text;
}
