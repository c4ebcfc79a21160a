/**
 * The vector index on a Postgres server that has pgvector: a table per dimension (as SQLite has a
 * vec0 table per dimension), `kb_vectors_<dims>`, one row per chunk with its vector store and its
 * embedding as a `vector`, under an HNSW index for cosine distance. The rows follow kb_chunks: they
 * are added as chunks are indexed, and go with their chunk (the foreign key cascades). The embeddings
 * in kb_chunks (BYTEA, float32) stay the source: chunks stored without pgvector are added later.
 */
import type { SqlDb } from "../store/sql.ts";
import { toVector } from "./vector-index.ts";

/** Chunks read from kb_chunks per statement when they are added to the index. */
const SYNC_PAGE = 500;
/** pgvector's HNSW index takes at most 2,000 dimensions; wider vectors are searched exactly. */
const HNSW_MAX_DIMS = 2000;
/** Serialises the index tables' creation among processes (src/store/postgres/schema.ts has 7283190). */
const TABLE_LOCK = 7283191;

/**
 * Whether the server has pgvector: installed in this database, or installed now (CREATE EXTENSION,
 * which needs the extension on the server and the right to create it). Null when it is there; the
 * reason when it is not. The attempt runs in its own transaction or savepoint, so that its failure
 * aborts nothing around it.
 */
export function detectPgvector(db: SqlDb): string | null {
  const installed = () =>
    db.prepare("SELECT 1 AS x FROM pg_extension WHERE extname = 'vector'").get() !== undefined;
  if (installed()) return null;
  try {
    db.transaction(() => db.prepare("CREATE EXTENSION IF NOT EXISTS vector").run())();
    return null;
  } catch (e) {
    if (installed()) return null; // another process made it meanwhile
    return `pgvector is not installed on the Postgres server (${(e as Error).message})`;
  }
}

/** A vector as pgvector's text form, `[x,y,...]` (cast to `vector` in SQL). */
export function vectorLiteral(v: ArrayLike<number>): string {
  return `[${Array.from(v).join(",")}]`;
}

export class PgVectors {
  private readonly tables = new Set<number>();
  /** pgvector 0.8 and later keep scanning the index until enough rows pass the stores' filter. */
  private readonly iterative: boolean;

  constructor(private readonly db: SqlDb) {
    const row = db.prepare("SELECT extversion FROM pg_extension WHERE extname = 'vector'").get() as
      | { extversion: string }
      | undefined;
    const [major = 0, minor = 0] = (row?.extversion ?? "0.0").split(".").map(Number);
    this.iterative = major > 0 || minor >= 8;
  }

  table(dims: number): string {
    const n = Math.trunc(dims);
    const name = `kb_vectors_${n}`;
    if (this.tables.has(n)) return name;
    this.db.transaction(() => {
      this.db.prepare(`SELECT pg_advisory_xact_lock(${TABLE_LOCK})`).get();
      this.db
        .prepare(
          `CREATE TABLE IF NOT EXISTS ${name} (
             id BIGINT PRIMARY KEY REFERENCES kb_chunks(id) ON DELETE CASCADE,
             vector_store_id TEXT NOT NULL,
             embedding vector(${n}) NOT NULL
           )`,
        )
        .run();
      this.db
        .prepare(`CREATE INDEX IF NOT EXISTS ${name}_store ON ${name} (vector_store_id)`)
        .run();
      if (n <= HNSW_MAX_DIMS)
        this.db
          .prepare(
            `CREATE INDEX IF NOT EXISTS ${name}_hnsw ON ${name} USING hnsw (embedding vector_cosine_ops)`,
          )
          .run();
    })();
    this.tables.add(n);
    return name;
  }

  /** Adds the store's chunks that are not in the index yet (all of them after a run without it). */
  sync(dims: number, storeId: string): void {
    const t = this.table(dims);
    const missing = this.db.prepare(
      `SELECT c.id, c.embedding FROM kb_chunks c
       WHERE c.vector_store_id = ? AND NOT EXISTS (SELECT 1 FROM ${t} v WHERE v.id = c.id)
       ORDER BY c.id LIMIT ${SYNC_PAGE}`,
    );
    // the join skips chunks deleted since they were read; a concurrent sync's rows are kept
    const insert = this.db.prepare(
      `INSERT INTO ${t} (id, vector_store_id, embedding)
       SELECT c.id, c.vector_store_id, CAST(u.e AS vector)
       FROM unnest(CAST(? AS BIGINT[]), CAST(? AS TEXT[])) AS u(id, e) JOIN kb_chunks c ON c.id = u.id
       ON CONFLICT (id) DO NOTHING`,
    );
    for (;;) {
      const rows = missing.all(storeId) as { id: number; embedding: Buffer }[];
      if (!rows.length) return;
      insert.run(
        rows.map((r) => r.id),
        rows.map((r) => vectorLiteral(toVector(r.embedding))),
      );
      if (rows.length < SYNC_PAGE) return;
    }
  }

  /**
   * The `k` chunks of these stores nearest to `query` by cosine distance (`<=>`, 1 - cosine, as
   * vec0's), most similar first. The HNSW index is approximate: it looks at `ef_search` candidates,
   * raised to `k`, and with pgvector 0.8 keeps going until `k` rows of these stores are found. On an
   * older pgvector, a search that comes back short is run again exactly.
   */
  nearest(
    dims: number,
    storeIds: string[],
    query: Float32Array,
    k: number,
  ): { id: number; similarity: number }[] {
    const t = this.table(dims);
    const marks = storeIds.map(() => "?").join(", ");
    const select = this.db.prepare(
      `SELECT id, embedding <=> CAST(? AS vector) AS distance FROM ${t}
       WHERE vector_store_id IN (${marks}) ORDER BY distance LIMIT ?`,
    );
    const q = vectorLiteral(query);
    const search = (exact: boolean) =>
      this.db.transaction(() => {
        if (exact) this.db.prepare("SET LOCAL enable_indexscan = off").run();
        else {
          this.db.prepare(`SET LOCAL hnsw.ef_search = ${Math.min(Math.max(k, 40), 1000)}`).run();
          if (this.iterative) this.db.prepare("SET LOCAL hnsw.iterative_scan = strict_order").run();
        }
        return select.all(q, ...storeIds, k) as { id: number; distance: number }[];
      })();
    let rows = search(false);
    if (rows.length < k && !this.iterative) rows = search(true);
    return rows.map((r) => ({ id: Number(r.id), similarity: 1 - r.distance }));
  }
}
