import { SEARCH_MODES, type SearchMode } from "../../protocol/index.ts";
import type { Embedder } from "./embed.ts";
import { engineModelName } from "./embed.ts";
import type { KnowledgeStore, StoredChunk, VectorStore } from "./store.ts";
import { toVector } from "./vector-index.ts";

export { SEARCH_MODES, type SearchMode };

export interface SearchHit extends StoredChunk {
  /** Reciprocal rank fusion of the lists used, scaled to 0–1 (1: first in every list). */
  score: number;
  /** Cosine similarity of the chunk to the question (-1–1). */
  similarity: number;
  vector_rank: number | null;
  keyword_rank: number | null;
}

export interface SearchOptions {
  /** Results wanted (default 10). */
  k?: number | undefined;
  mode?: SearchMode | undefined;
  /** Candidates taken from each list before fusing (default 50). */
  candidates?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** RRF's constant (Cormack et al. 2009): dampens the weight of the first few ranks. */
const RRF_K = 60;

const STOPWORDS = new Set(
  "a an and are as at be but by can do does for from had has have how i if in into is it its me my no not of on or our so than that the their them then there these they this to was we were what when where which who why will with you your".split(
    " ",
  ),
);

/** An FTS5 query matching any of the question's words (quoted, so no word is an operator). */
export function ftsQuery(question: string, op: "OR" | "AND" = "OR"): string {
  return ftsTerms(question).join(` ${op} `);
}

function ftsTerms(question: string): string[] {
  const words = (question.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter(
    (w) => !STOPWORDS.has(w),
  );
  return [...new Set(words)].map((w) => `"${w}"`);
}

/** Chunks with all the question's words first, then those with any of them (each by BM25). */
function keywordSearch(
  store: KnowledgeStore,
  ids: string[],
  question: string,
  n: number,
): number[] {
  const all = store.keyword(ids, ftsQuery(question, "AND"), n);
  const seen = new Set(all);
  for (const id of store.keyword(ids, ftsQuery(question, "OR"), n)) {
    if (all.length >= n) break;
    if (!seen.has(id)) all.push(id);
  }
  return all;
}

/**
 * In hybrid search a keyword match counts only when it has at least half of the question's words
 * and its meaning is not far from the best match by meaning: this keeps passages that merely share
 * a common word ("bike", "customer") from outranking the answer.
 */
const KEYWORD_SIMILARITY_MARGIN = 0.1;

/**
 * Hybrid search over vector stores: nearest chunks by meaning (embeddings) and best full-text
 * matches (BM25), fused by reciprocal rank. Stores embedded with different models are searched
 * with a question embedded by each.
 */
export async function searchStores(
  store: KnowledgeStore,
  embedder: Embedder,
  stores: VectorStore[],
  question: string,
  opts: SearchOptions = {},
): Promise<SearchHit[]> {
  const k = opts.k ?? 10;
  const mode = opts.mode ?? "hybrid";
  const n = Math.max(opts.candidates ?? 50, k);
  const ids = stores.map((s) => s.id);
  const ready = stores.filter((s) => s.dimensions !== null);
  const byStore = new Map(stores.map((s) => [s.id, s]));

  // the question's vector for each embedding model
  const queryVectors = new Map<string, Float32Array>();
  for (const model of new Set(ready.map((s) => s.embedding_model))) {
    const { data } = await embedder.embed([question], {
      model: engineModelName(model),
      signal: opts.signal,
    });
    queryVectors.set(model, Float32Array.from(data[0] ?? []));
  }

  const similarity = new Map<number, number>();
  let vectorList: number[] = [];
  if (mode !== "keyword") {
    const found: { id: number; similarity: number }[] = [];
    for (const [model, q] of queryVectors) {
      const group = ready.filter((s) => s.embedding_model === model);
      const dims = group[0]?.dimensions ?? q.length;
      found.push(
        ...store.vectors.nearest(
          dims,
          group.map((s) => s.id),
          q,
          n,
        ),
      );
    }
    found.sort((a, b) => b.similarity - a.similarity);
    vectorList = found.slice(0, n).map((f) => f.id);
    for (const f of found) similarity.set(f.id, f.similarity);
  }
  let keywordList = mode === "vector" ? [] : keywordSearch(store, ids, question, n);
  if (mode === "hybrid" && keywordList.length) {
    const best = Math.max(...similarity.values());
    const missing = keywordList.filter((id) => !similarity.has(id));
    for (const [id, row] of store.chunksById(missing)) {
      const q = queryVectors.get(byStore.get(row.vector_store_id)?.embedding_model ?? "");
      if (q) similarity.set(id, dot(toVector(row.embedding), q));
    }
    const terms = ftsTerms(question);
    const counts = store.termCounts(keywordList, terms);
    keywordList = keywordList.filter(
      (id) =>
        (counts.get(id) ?? 0) * 2 >= terms.length &&
        (similarity.get(id) ?? -1) >= best - KEYWORD_SIMILARITY_MARGIN,
    );
  }

  const fused = new Map<number, number>();
  const rank = (list: number[]) => new Map(list.map((id, i) => [id, i + 1] as const));
  const vRank = rank(vectorList);
  const kRank = rank(keywordList);
  for (const [id, r] of [...vRank, ...kRank]) fused.set(id, (fused.get(id) ?? 0) + 1 / (RRF_K + r));
  const lists = (mode === "hybrid" ? 2 : 1) / (RRF_K + 1);
  const top = [...fused].sort((a, b) => b[1] - a[1]).slice(0, k);

  const rows = store.chunksById(top.map(([id]) => id));
  const hits: SearchHit[] = [];
  for (const [id, score] of top) {
    const row = rows.get(id);
    if (!row) continue; // a vector left behind by a deleted chunk
    const { embedding, ...chunk } = row;
    let sim = similarity.get(id);
    if (sim === undefined) {
      const q = queryVectors.get(byStore.get(row.vector_store_id)?.embedding_model ?? "");
      sim = q ? dot(toVector(embedding), q) : 0;
    }
    hits.push({
      ...chunk,
      score: score / lists,
      similarity: sim,
      vector_rank: vRank.get(id) ?? null,
      keyword_rank: kRank.get(id) ?? null,
    });
  }
  for (const s of stores) store.touch(s.id);
  return hits;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
