/**
 * The knowledge base at size. Part 1, indexing throughput: a PDF of N text pages (made here) added
 * end to end (parse, chunk, embed with all-MiniLM-L6-v2 in the engine, store), in pages/s, with
 * parsing alone beside it. Part 2, search latency at 10k and 100k chunks: SYNTHETIC chunks (random
 * words, random unit vectors of 384 dimensions, written straight into the store, no engine) so
 * that the index is measured, not the embedding model; the question's vector is random too. Vector
 * search through sqlite-vec vs the JavaScript scan it falls back to, keyword (FTS5), and hybrid;
 * median and p95 over 50 queries.
 * Usage: npx tsx bench/knowledge-scale.ts [--pages 100] [--sizes 10000,100000] [--json]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makePdf } from "../src/knowledge/__fixtures__/documents.ts";
import {
  type Chunk,
  chunkSections,
  KnowledgeBase,
  parseDocument,
  type SearchMode,
} from "../src/knowledge/index.ts";
import { VectorIndex } from "../src/knowledge/vector-index.ts";
import { openServices } from "../src/services/index.ts";
import { InferenceEngine } from "../src/serving/index.ts";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const PAGES = Number(arg("--pages") ?? 100);
const SIZES = (arg("--sizes") ?? "10000,100000").split(",").map(Number);
const DIMS = 384;

let seed = 42;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const VOCAB = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}${"aeiou"[i % 5]}`);
const words = (n: number) =>
  Array.from({ length: n }, () => VOCAB[Math.floor(rand() ** 2 * VOCAB.length)]).join(" ");
function unit(): number[] {
  const v = Array.from({ length: DIMS }, () => rand() * 2 - 1);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] as number;

const out: Record<string, unknown> = {};

// --- 1. indexing throughput ----------------------------------------------------------------------
{
  const home = mkdtempSync(join(tmpdir(), "tailor-bench-kb-"));
  const sentence = () =>
    `The ${words(3)} policy says that ${words(8)} must be ${words(2)} within ${Math.floor(rand() * 90)} days.`;
  const pdf = makePdf(Array.from({ length: PAGES }, () => Array.from({ length: 20 }, sentence)));
  writeFileSync(join(home, "big.pdf"), pdf);
  const engine = new InferenceEngine({ env: { ...process.env, HF_HUB_OFFLINE: "1" } });
  const services = openServices(home);
  const kb = new KnowledgeBase(services.db, { embedder: engine, files: services.files });
  await engine.embed(["warm up"]); // the model loads once per server, not per file
  let t = performance.now();
  const sections = await parseDocument(pdf, "big.pdf");
  const chunks: Chunk[] = chunkSections(sections);
  const parseSeconds = (performance.now() - t) / 1000;
  const store = kb.createStore({ name: "bench", owner: null });
  const file = await services.files.addLocal(join(home, "big.pdf"), {
    purpose: "assistants",
    owner: null,
    filename: "big.pdf",
  });
  t = performance.now();
  const r = await kb.add(store.id, file);
  const seconds = (performance.now() - t) / 1000;
  out.indexing = {
    pages: PAGES,
    chunks: chunks.length,
    bytes: pdf.length,
    parse_and_chunk_pages_per_second: PAGES / parseSeconds,
    end_to_end_pages_per_second: PAGES / seconds,
    end_to_end_chunks_per_second: r.file.chunks / seconds,
    seconds,
  };
  kb.close();
  services.close();
  await engine.close();
  rmSync(home, { recursive: true, force: true });
}

// --- 2. search latency at size (synthetic vectors) -------------------------------------------------
const latency: Record<string, unknown>[] = [];
for (const size of SIZES) {
  const home = mkdtempSync(join(tmpdir(), "tailor-bench-kb-"));
  const embedder = { embed: async (input: string[]) => ({ data: input.map(unit) }) };
  const services = openServices(home);
  const kb = new KnowledgeBase(services.db, { embedder, files: services.files });
  const store = kb.createStore({ name: "synthetic", owner: null });
  let t = performance.now();
  const perFile = 1000;
  for (let f = 0; f * perFile < size; f++) {
    const n = Math.min(perFile, size - f * perFile);
    const fileId = `file-synthetic-${f}`;
    kb.store.begin({
      storeId: store.id,
      fileId,
      filename: `doc-${f}.txt`,
      sha256: fileId,
      bytes: 0,
    });
    const chunks = Array.from({ length: n }, (_, i) => ({
      text: words(60),
      page: null,
      heading: null,
      seq: i,
    }));
    kb.store.complete(store.id, fileId, chunks, chunks.map(unit), n);
  }
  const loadSeconds = (performance.now() - t) / 1000;
  const vs = kb.store.get(store.id);
  const row: Record<string, unknown> = { chunks: size, load_seconds: loadSeconds };
  const time = async (f: () => Promise<unknown> | unknown) => {
    const ms: number[] = [];
    for (let i = 0; i < 50; i++) {
      t = performance.now();
      await f();
      ms.push(performance.now() - t);
    }
    return { median_ms: median(ms), p95_ms: p95(ms) };
  };
  for (const mode of ["vector", "keyword", "hybrid"] as SearchMode[]) {
    row[mode] = await time(() => kb.search([vs], words(6), { k: 10, mode }));
  }
  const scan = new VectorIndex(kb.store.db, () => {});
  process.env.TAILOR_NO_SQLITE_VEC = "1";
  const fallback = new VectorIndex(kb.store.db, () => {});
  delete process.env.TAILOR_NO_SQLITE_VEC;
  row.vector_sqlite_vec = await time(() =>
    scan.nearest(DIMS, [vs.id], Float32Array.from(unit()), 10),
  );
  row.vector_js_scan = await time(() =>
    fallback.nearest(DIMS, [vs.id], Float32Array.from(unit()), 10),
  );
  latency.push(row);
  kb.close();
  services.close();
  rmSync(home, { recursive: true, force: true });
}
out.search = latency;

if (process.argv.includes("--json")) console.log(JSON.stringify(out));
else {
  const ix = out.indexing as Record<string, number>;
  console.log(
    `indexing a ${ix.pages}-page PDF (${ix.chunks} chunks): parse+chunk ${ix.parse_and_chunk_pages_per_second?.toFixed(0)} pages/s; end to end (with embeddings) ${ix.end_to_end_pages_per_second?.toFixed(1)} pages/s, ${ix.end_to_end_chunks_per_second?.toFixed(1)} chunks/s\n`,
  );
  console.log("search latency, synthetic chunks (ms, median / p95 of 50 queries; k = 10):");
  console.log(
    "chunks    sqlite-vec KNN   JS scan (fallback)   keyword (FTS5)   vector search*   hybrid*",
  );
  const f = (x: unknown) => {
    const v = x as { median_ms: number; p95_ms: number };
    return `${v.median_ms.toFixed(1)} / ${v.p95_ms.toFixed(1)}`;
  };
  for (const r of latency)
    console.log(
      `${String(r.chunks).padEnd(9)} ${f(r.vector_sqlite_vec).padEnd(16)} ${f(r.vector_js_scan).padEnd(20)} ${f(r.keyword).padEnd(16)} ${f(r.vector).padEnd(16)} ${f(r.hybrid)}`,
    );
  console.log(
    "* the whole search call (the question is embedded by a stand-in that returns a random vector, no engine)",
  );
}
