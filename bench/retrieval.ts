/**
 * Retrieval quality of the knowledge base on a small benchmark written for it (bench/retrieval/):
 * a bike shop's handbook and catalogue, and questions each answered by one passage. The same
 * questions go through keyword search (FTS5, BM25), vector search (all-MiniLM-L6-v2 via the engine)
 * and hybrid search (both, fused by reciprocal rank), side by side: recall@5 (the answering passage
 * is among the first five) and MRR (mean of 1/rank of the answering passage, 0 beyond ten).
 * Two question sets: the one hybrid search's filters were chosen on, and a held-out one written
 * afterwards (retrieval/held-out.ts) that nothing was tuned on.
 * Usage: npx tsx bench/retrieval.ts [--json]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KnowledgeBase, SEARCH_MODES, type SearchMode } from "../src/knowledge/index.ts";
import { openServices } from "../src/services/index.ts";
import { InferenceEngine } from "../src/serving/index.ts";
import { DOCUMENTS, QUESTIONS, type Question } from "./retrieval/corpus.ts";
import { HELD_OUT } from "./retrieval/held-out.ts";

const home = mkdtempSync(join(tmpdir(), "tailor-bench-retrieval-"));
const engine = new InferenceEngine({ env: { ...process.env, HF_HUB_OFFLINE: "1" } });
const services = openServices(home);
const kb = new KnowledgeBase(services.db, { embedder: engine, files: services.files });
try {
  const store = kb.createStore({ name: "bench", owner: null });
  for (const [name, text] of Object.entries(DOCUMENTS)) {
    const path = join(home, name);
    writeFileSync(path, text);
    const r = await kb.add(
      store.id,
      await services.files.addLocal(path, { purpose: "assistants", owner: null, filename: name }),
    );
    if (r.outcome !== "added") throw new Error(`${name}: ${r.file.error?.message}`);
  }
  const vs = kb.store.get(store.id);
  const chunks = kb.store.files(vs.id).reduce((n, f) => n + f.chunks, 0);
  type Scores = Record<SearchMode, { recall5: number; mrr: number; misses: string[] }>;
  const score = async (questions: Question[]): Promise<Scores> => {
    const results: Scores = {
      hybrid: { recall5: 0, mrr: 0, misses: [] },
      vector: { recall5: 0, mrr: 0, misses: [] },
      keyword: { recall5: 0, mrr: 0, misses: [] },
    };
    for (const mode of SEARCH_MODES) {
      const r = results[mode];
      for (const { q, answer } of questions) {
        const hits = await kb.search([vs], q, { k: 10, mode });
        const rank = hits.findIndex((h) => h.text.includes(answer)) + 1;
        if (rank >= 1 && rank <= 5) r.recall5++;
        else r.misses.push(q);
        if (rank >= 1) r.mrr += 1 / rank;
      }
      r.recall5 /= questions.length;
      r.mrr /= questions.length;
    }
    return results;
  };
  const sets = [
    { name: "tuning", about: "hybrid's filters were chosen on these", questions: QUESTIONS },
    { name: "held-out", about: "written afterwards, never tuned on", questions: HELD_OUT },
  ];
  const scored = [];
  for (const set of sets) scored.push({ ...set, results: await score(set.questions) });
  const beats = (r: Scores, m: SearchMode) =>
    r.hybrid.recall5 >= r[m].recall5 && r.hybrid.mrr > r[m].mrr;
  if (process.argv.includes("--json")) {
    console.log(
      JSON.stringify({
        documents: Object.keys(DOCUMENTS).length,
        chunks,
        sets: scored.map(({ name, questions, results }) => ({
          name,
          questions: questions.length,
          results,
          hybrid_beats_both: beats(results, "keyword") && beats(results, "vector"),
        })),
      }),
    );
  } else {
    console.log(`${Object.keys(DOCUMENTS).length} documents, ${chunks} chunks`);
    for (const { name, about, questions, results } of scored) {
      console.log(`\n${name} questions (${questions.length}; ${about})`);
      console.log("mode      recall@5   MRR");
      for (const mode of ["keyword", "vector", "hybrid"] as const) {
        const r = results[mode];
        console.log(`${mode.padEnd(9)} ${r.recall5.toFixed(3).padStart(8)}   ${r.mrr.toFixed(3)}`);
      }
      for (const mode of ["keyword", "vector", "hybrid"] as const)
        if (results[mode].misses.length)
          console.log(`${mode} missed (not in top 5):\n  ${results[mode].misses.join("\n  ")}`);
      console.log(
        `hybrid beats keyword and vector: ${beats(results, "keyword") && beats(results, "vector") ? "yes" : "NO"}`,
      );
    }
  }
} finally {
  kb.close();
  services.close();
  await engine.close();
  rmSync(home, { recursive: true, force: true });
}
