import { randomBytes } from "node:crypto";
import type { VectorStoreFileStatus } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import { isPostgres, type SqlDb } from "../store/sql.ts";
import type { Chunk } from "./types.ts";
import { toBlob, VectorIndex } from "./vector-index.ts";

export type FileStatus = VectorStoreFileStatus;

export interface VectorStore {
  id: string;
  name: string;
  owner: string | null;
  created_at: number;
  last_active_at: number;
  embedding_model: string;
  /** Known once the first file is embedded. */
  dimensions: number | null;
  chunk_size: number;
  chunk_overlap: number;
  metadata: Record<string, string> | null;
  file_counts: Record<FileStatus | "total", number>;
  usage_bytes: number;
}

export interface StoreFile {
  vector_store_id: string;
  file_id: string;
  filename: string;
  sha256: string;
  bytes: number;
  created_at: number;
  status: FileStatus;
  error: { code: string; message: string } | null;
  pages: number;
  chunks: number;
  usage_bytes: number;
}

export interface StoredChunk extends Chunk {
  id: number;
  vector_store_id: string;
  file_id: string;
  filename: string;
}

type StoreRow = Omit<VectorStore, "metadata" | "file_counts" | "usage_bytes"> & {
  metadata_json: string | null;
};
type FileRow = Omit<StoreFile, "error"> & {
  error_code: string | null;
  error_message: string | null;
};

const now = () => Math.floor(Date.now() / 1000);

/** Vector stores, their files and chunks (see the knowledge migrations of SQLite and Postgres). */
export class KnowledgeStore {
  readonly vectors: VectorIndex;

  constructor(
    readonly db: SqlDb,
    opts: { warn?: ((line: string) => void) | undefined } = {},
  ) {
    this.vectors = new VectorIndex(this.db, opts.warn);
  }

  create(s: {
    name: string;
    owner: string | null;
    embeddingModel: string;
    chunkSize: number;
    chunkOverlap: number;
    metadata?: Record<string, string> | null | undefined;
  }): VectorStore {
    const id = `vs_${randomBytes(12).toString("hex")}`;
    const t = now();
    this.db
      .prepare(
        `INSERT INTO vector_stores (id, name, owner, created_at, last_active_at, embedding_model, chunk_size, chunk_overlap, metadata_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        s.name,
        s.owner,
        t,
        t,
        s.embeddingModel,
        s.chunkSize,
        s.chunkOverlap,
        s.metadata ? JSON.stringify(s.metadata) : null,
      );
    return this.get(id);
  }

  /** `owner` undefined: anyone's (admin, CLI); otherwise only that owner's. */
  find(id: string, owner?: string | null): VectorStore | null {
    const row = this.db.prepare("SELECT * FROM vector_stores WHERE id = ?").get(id) as
      | StoreRow
      | undefined;
    if (!row || (owner !== undefined && row.owner !== owner)) return null;
    return this.view(row);
  }

  get(id: string, owner?: string | null): VectorStore {
    const s = this.find(id, owner);
    if (!s)
      throw new TailorError({
        code: "not_found",
        message: `no vector store ${id}`,
        details: { field: "vector_store_id" },
      });
    return s;
  }

  byName(name: string, owner?: string | null): VectorStore[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM vector_stores WHERE name = @name AND (@all = 1 OR owner IS NOT DISTINCT FROM CAST(@owner AS TEXT)) ORDER BY created_at DESC",
        )
        .all({ name, all: owner === undefined ? 1 : 0, owner: owner ?? null }) as StoreRow[]
    ).map((r) => this.view(r));
  }

  list(opts: { owner?: string | null; limit?: number } = {}): VectorStore[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM vector_stores WHERE (@all = 1 OR owner IS NOT DISTINCT FROM CAST(@owner AS TEXT)) ORDER BY created_at DESC, id DESC LIMIT @limit",
        )
        .all({
          all: opts.owner === undefined ? 1 : 0,
          owner: opts.owner ?? null,
          limit: opts.limit ?? 1000,
        }) as StoreRow[]
    ).map((r) => this.view(r));
  }

  update(id: string, patch: { name?: string; metadata?: Record<string, string> | null }): void {
    if (patch.name !== undefined)
      this.db.prepare("UPDATE vector_stores SET name = ? WHERE id = ?").run(patch.name, id);
    if (patch.metadata !== undefined)
      this.db
        .prepare("UPDATE vector_stores SET metadata_json = ? WHERE id = ?")
        .run(patch.metadata ? JSON.stringify(patch.metadata) : null, id);
  }

  /** Notes use, at most once a minute (a search should not wait for a disk write). */
  touch(id: string): void {
    const t = now();
    this.db
      .prepare("UPDATE vector_stores SET last_active_at = ? WHERE id = ? AND last_active_at < ?")
      .run(t, id, t - 60);
  }

  setDimensions(id: string, dims: number): void {
    this.db
      .prepare("UPDATE vector_stores SET dimensions = ? WHERE id = ? AND dimensions IS NULL")
      .run(dims, id);
  }

  /** Deletes the store with its files' chunks and vectors (the uploaded files themselves stay). */
  delete(id: string): void {
    const s = this.get(id);
    this.db.transaction(() => {
      this.vectors.remove(s.dimensions, "vector_store_id = ?", id);
      this.db.prepare("DELETE FROM kb_chunks WHERE vector_store_id = ?").run(id);
      this.db.prepare("DELETE FROM vector_stores WHERE id = ?").run(id);
    })();
  }

  // --- files ----------------------------------------------------------------------------------

  file(storeId: string, fileId: string): StoreFile | null {
    const row = this.db
      .prepare("SELECT * FROM vector_store_files WHERE vector_store_id = ? AND file_id = ?")
      .get(storeId, fileId) as FileRow | undefined;
    return row ? fileView(row) : null;
  }

  /** The store's file with this content, if any (the newest). */
  fileBySha(storeId: string, sha256: string): StoreFile | null {
    const row = this.db
      .prepare(
        "SELECT * FROM vector_store_files WHERE vector_store_id = ? AND sha256 = ? ORDER BY created_at DESC LIMIT 1",
      )
      .get(storeId, sha256) as FileRow | undefined;
    return row ? fileView(row) : null;
  }

  files(storeId: string, opts: { status?: FileStatus } = {}): StoreFile[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM vector_store_files WHERE vector_store_id = @s AND (CAST(@status AS TEXT) IS NULL OR status = @status) ORDER BY created_at DESC, file_id DESC",
        )
        .all({ s: storeId, status: opts.status ?? null }) as FileRow[]
    ).map(fileView);
  }

  /** Every file of every store still being indexed (a restarted server queues them again). */
  unfinished(): StoreFile[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM vector_store_files WHERE status = 'in_progress' ORDER BY created_at",
        )
        .all() as FileRow[]
    ).map(fileView);
  }

  /** A new entry, in progress (an earlier entry of the same file is replaced). */
  begin(f: {
    storeId: string;
    fileId: string;
    filename: string;
    sha256: string;
    bytes: number;
  }): StoreFile {
    this.removeFile(f.storeId, f.fileId);
    this.db
      .prepare(
        `INSERT INTO vector_store_files (vector_store_id, file_id, filename, sha256, bytes, created_at, status)
         VALUES (?, ?, ?, ?, ?, ?, 'in_progress')`,
      )
      .run(f.storeId, f.fileId, f.filename, f.sha256, f.bytes, now());
    this.touch(f.storeId);
    return this.file(f.storeId, f.fileId) as StoreFile;
  }

  /** Stores a file's chunks and vectors and marks it completed, all at once. */
  complete(
    storeId: string,
    fileId: string,
    chunks: Chunk[],
    vectors: number[][],
    pages: number,
  ): StoreFile {
    const insert = this.db.prepare(
      `INSERT INTO kb_chunks (vector_store_id, file_id, seq, page, heading, text, embedding)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    let usage = 0;
    this.db.transaction(() => {
      for (const [i, c] of chunks.entries()) {
        const blob = toBlob(vectors[i] ?? []);
        usage += Buffer.byteLength(c.text) + blob.length;
        insert.run(storeId, fileId, c.seq, c.page, c.heading, c.text, blob);
      }
      this.db
        .prepare(
          `UPDATE vector_store_files SET status = 'completed', pages = ?, chunks = ?, usage_bytes = ?
           WHERE vector_store_id = ? AND file_id = ?`,
        )
        .run(pages, chunks.length, usage, storeId, fileId);
    })();
    const dims = vectors[0]?.length;
    if (dims) {
      this.setDimensions(storeId, dims);
      this.vectors.sync(dims, storeId);
    }
    return this.file(storeId, fileId) as StoreFile;
  }

  fail(storeId: string, fileId: string, code: string, message: string): StoreFile | null {
    this.db
      .prepare(
        `UPDATE vector_store_files SET status = 'failed', error_code = ?, error_message = ?
         WHERE vector_store_id = ? AND file_id = ? AND status = 'in_progress'`,
      )
      .run(code, message, storeId, fileId);
    return this.file(storeId, fileId);
  }

  /** The stores a file is in. */
  storesWithFile(fileId: string): string[] {
    return (
      this.db
        .prepare("SELECT vector_store_id FROM vector_store_files WHERE file_id = ?")
        .all(fileId) as { vector_store_id: string }[]
    ).map((r) => r.vector_store_id);
  }

  /** Removes a file from a store, with its chunks and their vectors. */
  removeFile(storeId: string, fileId: string): boolean {
    const s = this.find(storeId);
    return this.db.transaction(() => {
      this.vectors.remove(
        s?.dimensions ?? null,
        "vector_store_id = ? AND file_id = ?",
        storeId,
        fileId,
      );
      this.db
        .prepare("DELETE FROM kb_chunks WHERE vector_store_id = ? AND file_id = ?")
        .run(storeId, fileId);
      return (
        this.db
          .prepare("DELETE FROM vector_store_files WHERE vector_store_id = ? AND file_id = ?")
          .run(storeId, fileId).changes > 0
      );
    })();
  }

  // --- chunks ---------------------------------------------------------------------------------

  chunks(
    storeId: string,
    fileId: string,
    opts: { offset?: number; limit?: number } = {},
  ): StoredChunk[] {
    return this.db
      .prepare(
        `SELECT c.id, c.vector_store_id, c.file_id, f.filename, c.seq, c.page, c.heading, c.text
         FROM kb_chunks c JOIN vector_store_files f USING (vector_store_id, file_id)
         WHERE c.vector_store_id = ? AND c.file_id = ? ORDER BY c.seq LIMIT ? OFFSET ?`,
      )
      .all(storeId, fileId, opts.limit ?? 1000, opts.offset ?? 0) as StoredChunk[];
  }

  chunksById(ids: number[]): Map<number, StoredChunk & { embedding: Buffer }> {
    if (!ids.length) return new Map();
    const rows = this.db
      .prepare(
        `SELECT c.id, c.vector_store_id, c.file_id, f.filename, c.seq, c.page, c.heading, c.text, c.embedding
         FROM kb_chunks c JOIN vector_store_files f USING (vector_store_id, file_id)
         WHERE c.id IN (${ids.map(() => "?").join(", ")})`,
      )
      .all(...ids) as (StoredChunk & { embedding: Buffer })[];
    return new Map(rows.map((r) => [r.id, r]));
  }

  /**
   * Full-text matches, best first: FTS5 by BM25 on SQLite; on Postgres the `tsvector` column by
   * ts_rank (term frequency over the log of the chunk's length: BM25 also weighs rarer words more).
   */
  keyword(storeIds: string[], match: string, k: number): number[] {
    if (!storeIds.length || !match) return [];
    const marks = storeIds.map(() => "?").join(", ");
    const rows = this.db
      .prepare(
        isPostgres(this.db)
          ? `SELECT c.id FROM kb_chunks c, websearch_to_tsquery('kb_search', ?) q
             WHERE c.fts @@ q AND c.vector_store_id IN (${marks})
             ORDER BY ts_rank(c.fts, q, 1) DESC, c.id LIMIT ?`
          : `SELECT c.id FROM kb_chunks_fts JOIN kb_chunks c ON c.id = kb_chunks_fts.rowid
             WHERE kb_chunks_fts MATCH ? AND c.vector_store_id IN (${marks})
             ORDER BY bm25(kb_chunks_fts) LIMIT ?`,
      )
      .all(this.fullText(match), ...storeIds, k) as { id: number }[];
    return rows.map((r) => r.id);
  }

  /** How many of `terms` (FTS5 terms, stemmed as indexed) each of these chunks contains. */
  termCounts(ids: number[], terms: string[]): Map<number, number> {
    const counts = new Map<number, number>(ids.map((id) => [id, 0]));
    if (!ids.length) return counts;
    const marks = ids.map(() => "?").join(", ");
    const q = this.db.prepare(
      isPostgres(this.db)
        ? `SELECT id FROM kb_chunks WHERE fts @@ websearch_to_tsquery('kb_search', ?) AND id IN (${marks})`
        : `SELECT rowid AS id FROM kb_chunks_fts WHERE kb_chunks_fts MATCH ? AND rowid IN (${marks})`,
    );
    for (const t of terms)
      for (const r of q.all(this.fullText(t), ...ids) as { id: number }[])
        counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    return counts;
  }

  /** An FTS5 query as this store's full text reads it (a web search query joins words by AND). */
  private fullText(match: string): string {
    return isPostgres(this.db) ? match.replaceAll('" AND "', '" "') : match;
  }

  private view(row: StoreRow): VectorStore {
    const { metadata_json, ...rest } = row;
    const counts = this.db
      .prepare(
        "SELECT status, COUNT(*) AS n, SUM(usage_bytes) AS bytes FROM vector_store_files WHERE vector_store_id = ? GROUP BY status",
      )
      .all(row.id) as { status: FileStatus; n: number; bytes: number }[];
    const file_counts = { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };
    let usage = 0;
    for (const c of counts) {
      file_counts[c.status] = c.n;
      file_counts.total += c.n;
      usage += c.bytes ?? 0;
    }
    return {
      ...rest,
      metadata: metadata_json ? (JSON.parse(metadata_json) as Record<string, string>) : null,
      file_counts,
      usage_bytes: usage,
    };
  }
}

function fileView({ error_code, error_message, ...rest }: FileRow): StoreFile {
  return {
    ...rest,
    error: error_code ? { code: error_code, message: error_message ?? "" } : null,
  };
}
