import * as sqliteVec from "sqlite-vec";
import type { Db } from "../store/index.ts";
import { isPostgres, type SqlDb } from "../store/sql.ts";
import { detectPgvector, PgVectors } from "./pgvector.ts";

let warned = false;

/** Vectors read from Postgres per query in a scan (1.5 MB of them at 384 dimensions). */
const SCAN_PAGE = 1000;

/**
 * Nearest chunks by cosine similarity: on SQLite, sqlite-vec's vec0 tables (one per dimension,
 * partitioned by vector store) when the extension loads; on Postgres, pgvector's HNSW index when the
 * server has the extension (./pgvector.ts); otherwise an exact scan in JavaScript over the vectors
 * kept in kb_chunks (slower on large stores, same answers), read a page at a time on Postgres. The
 * vectors are unit length.
 */
export class VectorIndex {
  /** Whether an index answers (sqlite-vec or pgvector) rather than the scan. */
  readonly available: boolean;
  /** Which one: `sqlite-vec`, `pgvector`, or `scan` (with the `reason`). */
  readonly method: "sqlite-vec" | "pgvector" | "scan";
  readonly reason: string | null;
  private readonly tables = new Set<number>();
  /** Where sqlite-vec can load (better-sqlite3); null on Postgres. */
  private readonly sqlite: Db | null;
  /** The index on Postgres when the server has pgvector. */
  private readonly pgvector: PgVectors | null = null;

  constructor(
    private readonly db: SqlDb,
    warn: (line: string) => void = (l) => void process.stderr.write(`${l}\n`),
  ) {
    this.sqlite = isPostgres(db) ? null : (db as Db);
    let reason: string | null = null;
    if (!this.sqlite) {
      reason = detectPgvector(db);
      if (reason === null) this.pgvector = new PgVectors(db);
    } else if (process.env.TAILOR_NO_SQLITE_VEC === "1") reason = "TAILOR_NO_SQLITE_VEC=1";
    else {
      try {
        sqliteVec.load(this.sqlite);
      } catch (e) {
        reason = (e as Error).message;
      }
    }
    this.available = reason === null;
    this.method = reason !== null ? "scan" : this.sqlite ? "sqlite-vec" : "pgvector";
    this.reason = reason;
    if (reason !== null && this.sqlite && !warned) {
      warned = true;
      warn(
        `warning: the sqlite-vec extension did not load (${reason}); searching documents by meaning scans every vector instead (slower on large stores). Reinstall with \`npm install\` to get sqlite-vec's binary for this platform.`,
      );
    }
  }

  private table(dims: number): string {
    const name = `kb_vec_${Math.trunc(dims)}`;
    if (this.available && !this.tables.has(dims)) {
      this.sqlite?.exec(
        `CREATE VIRTUAL TABLE IF NOT EXISTS ${name} USING vec0(vector_store_id text partition key, embedding float[${Math.trunc(dims)}] distance_metric=cosine)`,
      );
      this.tables.add(dims);
    }
    return name;
  }

  /** Puts chunks not yet in the index into it (all of them after a run without the extension). */
  sync(dims: number, storeId: string): void {
    if (!this.available) return;
    if (this.pgvector) {
      this.pgvector.sync(dims, storeId);
      return;
    }
    const t = this.table(dims);
    const rows = this.db
      .prepare("SELECT id, embedding FROM kb_chunks WHERE vector_store_id = ? AND vec_indexed = 0")
      .all(storeId) as { id: number; embedding: Buffer }[];
    if (!rows.length) return;
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO ${t}(rowid, vector_store_id, embedding) VALUES (?, ?, ?)`,
    );
    const mark = this.db.prepare("UPDATE kb_chunks SET vec_indexed = 1 WHERE id = ?");
    this.db.transaction(() => {
      for (const r of rows) {
        insert.run(BigInt(r.id), storeId, r.embedding);
        mark.run(r.id);
      }
    })();
  }

  /** Removes chunks' vectors (call before deleting the chunks; on Postgres the foreign key does). */
  remove(dims: number | null, where: string, ...params: unknown[]): void {
    if (!this.available || dims === null || this.pgvector) return;
    const t = this.table(dims);
    this.db
      .prepare(`DELETE FROM ${t} WHERE rowid IN (SELECT id FROM kb_chunks WHERE ${where})`)
      .run(...params);
  }

  /** The `k` chunks of these stores nearest to `query`, most similar first. */
  nearest(
    dims: number,
    storeIds: string[],
    query: Float32Array,
    k: number,
  ): { id: number; similarity: number }[] {
    if (!storeIds.length) return [];
    if (this.pgvector) {
      for (const id of storeIds) this.pgvector.sync(dims, id);
      return this.pgvector.nearest(dims, storeIds, query, k);
    }
    if (this.available) {
      for (const id of storeIds) this.sync(dims, id);
      const marks = storeIds.map(() => "?").join(", ");
      const rows = this.db
        .prepare(
          `SELECT rowid AS id, distance FROM ${this.table(dims)}
           WHERE embedding MATCH ? AND k = ? AND vector_store_id IN (${marks})`,
        )
        .all(query, Math.min(k, 4096), ...storeIds) as { id: number; distance: number }[];
      return rows.map((r) => ({ id: Number(r.id), similarity: 1 - r.distance }));
    }
    return this.scan(storeIds, query, k);
  }

  private scan(storeIds: string[], query: Float32Array, k: number) {
    const best: { id: number; similarity: number }[] = [];
    let floor = -Infinity;
    for (const r of this.embeddings(storeIds)) {
      const v = toVector(r.embedding);
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += (v[i] as number) * (query[i] as number);
      if (best.length < k || dot > floor) {
        best.push({ id: r.id, similarity: dot });
        if (best.length > k * 4) {
          best.sort((a, b) => b.similarity - a.similarity).length = k;
          floor = best.at(-1)?.similarity ?? -Infinity;
        }
      }
    }
    return best.sort((a, b) => b.similarity - a.similarity).slice(0, k);
  }

  /** The stores' chunks' vectors, one at a time (on Postgres fetched in pages, by id). */
  private *embeddings(storeIds: string[]): Iterable<{ id: number; embedding: Buffer }> {
    const marks = storeIds.map(() => "?").join(", ");
    type Row = { id: number; embedding: Buffer };
    if (this.sqlite) {
      yield* this.sqlite
        .prepare(`SELECT id, embedding FROM kb_chunks WHERE vector_store_id IN (${marks})`)
        .iterate(...storeIds) as Iterable<Row>;
      return;
    }
    const page = this.db.prepare(
      `SELECT id, embedding FROM kb_chunks WHERE vector_store_id IN (${marks}) AND id > ?
       ORDER BY id LIMIT ${SCAN_PAGE}`,
    );
    for (let after = 0; ; ) {
      const rows = page.all(...storeIds, after) as Row[];
      yield* rows;
      if (rows.length < SCAN_PAGE) return;
      after = (rows.at(-1) as Row).id;
    }
  }
}

export function toBlob(v: ArrayLike<number>): Buffer {
  const f = Float32Array.from(v);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
}

export function toVector(b: Buffer): Float32Array {
  const copy = new Uint8Array(b); // aligned copy
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}
