import type { VectorStoreFileError } from "../../protocol/index.ts";
import { isTailorError, TailorError } from "../errors/index.ts";
import type { FileStore, StoredFile } from "../files/index.ts";
import type { SqlDb } from "../store/sql.ts";
import { type ChunkingOptions, chunkSections, DEFAULT_CHUNKING } from "./chunk.ts";
import { DEFAULT_EMBEDDING_MODEL, type Embedder, embedAll, embeddingText } from "./embed.ts";
import { parseDocument } from "./parse/index.ts";
import { type SearchHit, type SearchOptions, searchStores } from "./search.ts";
import { KnowledgeStore, type StoreFile, type VectorStore } from "./store.ts";

export interface KnowledgeOptions {
  embedder: Embedder;
  /** Where the documents' bytes are (uploaded files, purpose `assistants`). */
  files: FileStore;
  warn?: ((line: string) => void) | undefined;
}

export type AddOutcome = "added" | "unchanged" | "replaced" | "failed";

export interface AddProgress {
  stage: "parsing" | "embedding" | "storing";
  done: number;
  total: number;
}

/** Why a file could not be indexed, in OpenAI's `last_error.code` words. */
function errorCode(e: unknown): VectorStoreFileError {
  if (!isTailorError(e)) return "server_error";
  if (e.details.unsupported) return "unsupported_file";
  return e.code === "data_invalid" ? "invalid_file" : "server_error";
}

/**
 * The knowledge domain's one service: vector stores of the user's documents (parsed, chunked,
 * embedded by the engine, stored with a vector index and a full-text index) and hybrid
 * search over them. Files are indexed one at a time, in the caller's task (`add`) or in the
 * background (`enqueue`, for the server).
 */
export class KnowledgeBase {
  readonly store: KnowledgeStore;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    db: SqlDb,
    private readonly opts: KnowledgeOptions,
  ) {
    this.store = new KnowledgeStore(db, { warn: opts.warn });
  }

  /** Stops indexing; a file being indexed stays in progress and is queued again by `resume`. */
  close(): void {
    this.closed = true;
  }

  createStore(s: {
    name: string;
    owner: string | null;
    embeddingModel?: string | undefined;
    chunking?: Partial<ChunkingOptions> | undefined;
    metadata?: Record<string, string> | null | undefined;
  }): VectorStore {
    const chunking = { ...DEFAULT_CHUNKING, ...s.chunking };
    if (
      chunking.maxChars < 100 ||
      chunking.overlapChars < 0 ||
      chunking.overlapChars >= chunking.maxChars / 2
    )
      throw new TailorError({
        code: "invalid_argument",
        message: `chunks must be at least 100 characters and overlap by less than half of that (got ${chunking.maxChars} and ${chunking.overlapChars})`,
        details: { field: "chunking_strategy" },
      });
    return this.store.create({
      name: s.name,
      owner: s.owner,
      embeddingModel: s.embeddingModel ?? DEFAULT_EMBEDDING_MODEL,
      chunkSize: chunking.maxChars,
      chunkOverlap: chunking.overlapChars,
      metadata: s.metadata,
    });
  }

  /**
   * Adds an uploaded file to a store and indexes it now. The same content already in the store is
   * not indexed again ("unchanged"); with `replaceSameName`, an older file of the same name is
   * removed once the new one is indexed ("replaced"). A file that cannot be read ends "failed",
   * with the reason in `error`.
   */
  async add(
    storeId: string,
    file: StoredFile,
    opts: {
      replaceSameName?: boolean;
      onProgress?: (p: AddProgress) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<{ outcome: AddOutcome; file: StoreFile }> {
    const same = this.existing(storeId, file);
    if (same) return { outcome: "unchanged", file: same };
    const older = opts.replaceSameName
      ? this.store
          .files(storeId)
          .filter((f) => f.filename === file.filename && f.file_id !== file.id)
      : [];
    this.store.begin({
      storeId,
      fileId: file.id,
      filename: file.filename,
      sha256: file.sha256,
      bytes: file.bytes,
    });
    const done = await this.index(storeId, file, opts);
    if (done.status !== "completed") return { outcome: "failed", file: done };
    for (const f of older) this.store.removeFile(storeId, f.file_id);
    return { outcome: older.length ? "replaced" : "added", file: done };
  }

  /** Takes a file out of every store it is in (its passages and vectors go); returns how many. */
  forgetFile(fileId: string): number {
    const stores = this.store.storesWithFile(fileId);
    for (const id of stores) this.store.removeFile(id, fileId);
    return stores.length;
  }

  /** Adds a file to a store and indexes it in the background; answers at once (in_progress). */
  enqueue(storeId: string, file: StoredFile): StoreFile {
    const same = this.existing(storeId, file);
    if (same) return same;
    const entry = this.store.begin({
      storeId,
      fileId: file.id,
      filename: file.filename,
      sha256: file.sha256,
      bytes: file.bytes,
    });
    this.schedule(storeId, file);
    return entry;
  }

  /** Queues again what a stopped server left half indexed. */
  resume(): void {
    for (const f of this.store.unfinished()) {
      const file = this.opts.files.find(f.file_id);
      if (file) this.schedule(f.vector_store_id, file);
      else
        this.store.fail(
          f.vector_store_id,
          f.file_id,
          "invalid_file",
          `${f.filename} was deleted before it was indexed`,
        );
    }
  }

  /** Resolves when the background queue is empty. */
  async idle(): Promise<void> {
    for (let q = this.queue; ; q = this.queue) {
      await q;
      if (q === this.queue) return;
    }
  }

  search(stores: VectorStore[], question: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    return searchStores(this.store, this.opts.embedder, stores, question, opts);
  }

  private existing(storeId: string, file: StoredFile): StoreFile | null {
    this.store.get(storeId);
    for (const f of [
      this.store.file(storeId, file.id),
      this.store.fileBySha(storeId, file.sha256),
    ]) {
      if (f && (f.status === "completed" || f.status === "in_progress")) return f;
    }
    return null;
  }

  private schedule(storeId: string, file: StoredFile): void {
    this.queue = this.queue.then(async () => {
      if (this.closed || this.store.file(storeId, file.id)?.status !== "in_progress") return;
      await this.index(storeId, file, {}).catch((e: unknown) => {
        if (!this.closed)
          this.opts.warn?.(`indexing ${file.filename} failed: ${(e as Error).message}`);
      });
    });
  }

  private async index(
    storeId: string,
    file: StoredFile,
    opts: { onProgress?: (p: AddProgress) => void; signal?: AbortSignal },
  ): Promise<StoreFile> {
    const vs = this.store.get(storeId);
    try {
      opts.onProgress?.({ stage: "parsing", done: 0, total: 1 });
      const sections = await parseDocument(this.opts.files.content(file), file.filename);
      const chunks = chunkSections(sections, {
        maxChars: vs.chunk_size,
        overlapChars: vs.chunk_overlap,
      });
      const vectors = await embedAll(this.opts.embedder, chunks.map(embeddingText), {
        model: vs.embedding_model,
        signal: opts.signal,
        onProgress: (done, total) => opts.onProgress?.({ stage: "embedding", done, total }),
      });
      if (vs.dimensions !== null && vectors[0] && vectors[0].length !== vs.dimensions)
        throw new TailorError({
          code: "internal",
          message: `the embedding model gave ${vectors[0].length} dimensions where this store has ${vs.dimensions}`,
        });
      opts.onProgress?.({ stage: "storing", done: chunks.length, total: chunks.length });
      if (!this.store.file(storeId, file.id))
        throw new TailorError({ code: "cancelled", message: "removed while it was indexed" });
      return this.store.complete(storeId, file.id, chunks, vectors, sections.length);
    } catch (e) {
      if (this.closed) throw e; // left in progress: queued again when the server starts
      const failed = this.store.fail(storeId, file.id, errorCode(e), (e as Error).message);
      if (!failed) throw e;
      return failed;
    }
  }
}
