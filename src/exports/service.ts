/**
 * Exports made for the API: each recorded in the `exports` table and written in the background
 * under TAILOR_HOME/exports/<id>/, one at a time (each loads the model in an engine process of its
 * own), with the engine's latest progress kept while it runs. Owners see their exports, admins
 * every one, others none. A row left running by a server that stopped is failed when the next one
 * starts.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { DatasetStore } from "../datasets/index.ts";
import { isTailorError, TailorError } from "../errors/index.ts";
import type { JobStore } from "../jobs/index.ts";
import type { ModelRegistry, ResolvedModel } from "../models/index.ts";
import type { SqlDb } from "../store/sql.ts";
import { type ExportDownload, exportDownload } from "./download.ts";
import { type ExportRecord, ExportStore } from "./store.ts";
import { exportQuantization, exportSubject } from "./subject.ts";
import { storedSystemPrompt } from "./system-prompt.ts";
import type { ExportFormat, ExportProgress, ExportRunner, GgufQuantization } from "./types.ts";
import { writeExport } from "./write.ts";

export const STOPPED =
  "the server stopped during the export; start it again (POST /v1/models/{id}/export)";

export interface ExportServiceDeps {
  db: SqlDb;
  home: string;
  models: ModelRegistry;
  jobs: JobStore;
  datasets: DatasetStore;
  /** The engine (default: the real one). */
  runner?: ExportRunner | undefined;
  /** Engine log lines and failures, for the server's log. */
  log?: ((line: string) => void) | undefined;
}

/** An export as the API shows it: the row, and while it runs the engine's latest progress. */
export interface ExportView extends ExportRecord {
  progress: ExportProgress | null;
}

export class ExportService {
  readonly store: ExportStore;
  readonly dir: string;
  readonly #progress = new Map<string, ExportProgress | null>();
  readonly #stop = new AbortController();
  /** The exports in order: each starts when the one before it has ended. */
  #queue: Promise<void> = Promise.resolve();
  readonly #done = new Map<string, Promise<void>>();

  constructor(private readonly deps: ExportServiceDeps) {
    this.store = new ExportStore(deps.db);
    this.dir = join(deps.home, "exports");
  }

  /**
   * Fails the exports a stopped server left running, and removes their half-written folders (the
   * hidden ones a writer renames into place); how many failed. Call once at startup.
   */
  recover(): number {
    const failed = this.store.failRunning(STOPPED);
    if (existsSync(this.dir)) {
      for (const name of readdirSync(this.dir)) {
        if (name.startsWith(".")) rmSync(join(this.dir, name), { recursive: true, force: true });
      }
    }
    return failed;
  }

  /**
   * Records an export of `model` for `owner` and starts it in the background. A model or request
   * that cannot be exported is refused here, before anything is recorded.
   */
  start(
    owner: string,
    model: ResolvedModel,
    req: { format: ExportFormat; quantization?: GgufQuantization | undefined },
  ): ExportView {
    const subject = exportSubject(
      { models: this.deps.models, systemPrompt: storedSystemPrompt(this.deps) },
      model,
    );
    const quantization = exportQuantization(subject, req.format, req.quantization);
    const record = this.store.create({
      model: subject.name,
      owner,
      format: req.format,
      quantization,
      path: (id) => join(this.dir, id),
    });
    const ahead = this.#progress.size;
    this.#progress.set(record.id, {
      stage: ahead ? "queued" : "starting",
      message: ahead
        ? `waiting for ${ahead} export${ahead > 1 ? "s" : ""} before it`
        : "starting the engine",
      current: null,
      total: null,
    });
    const run = async () => {
      if (this.#stop.signal.aborted) throw new TailorError({ code: "cancelled", message: STOPPED });
      await writeExport(subject, {
        format: req.format,
        ...(req.quantization ? { quantization: req.quantization } : {}),
        out: record.path,
        signal: this.#stop.signal,
        runner: this.deps.runner,
        onProgress: (p) => this.#progress.set(record.id, p),
        onLog: this.deps.log && ((l) => this.deps.log?.(`[export ${record.id}] ${l}`)),
      }).then((r) => this.store.succeed(record.id, r.files));
    };
    const done = this.#queue
      .then(run)
      .catch((e: unknown) => this.#failed(record.id, e))
      .finally(() => {
        this.#progress.delete(record.id);
        this.#done.delete(record.id);
      });
    this.#queue = done;
    this.#done.set(record.id, done);
    return this.#view(this.store.get(record.id) as ExportRecord);
  }

  /** An export the caller may see (`owner` undefined: an admin, who sees all); else a 404. */
  get(owner: string | undefined, id: string): ExportView {
    const r = this.store.get(id);
    if (!r || (owner !== undefined && r.owner !== owner)) {
      throw new TailorError({
        code: "not_found",
        message: `no export ${id}; GET /v1/exports lists yours`,
        details: { field: "export_id" },
      });
    }
    return this.#view(r);
  }

  /** Newest first: the caller's (`owner` undefined: everyone's), of one model when given. */
  list(owner: string | undefined, model?: string): ExportView[] {
    return this.store.list({ owner, model }).map((r) => this.#view(r));
  }

  /** The download of a succeeded export the caller may see. */
  download(owner: string | undefined, id: string, file?: string): ExportDownload {
    return exportDownload(this.get(owner, id), file);
  }

  /** Deletes a finished export the caller may see, with its files. */
  delete(owner: string | undefined, id: string): void {
    const r = this.get(owner, id);
    if (r.status === "running") {
      throw new TailorError({
        code: "conflict",
        message: `export ${id} is still running; delete it once it has finished`,
      });
    }
    rmSync(r.path, { recursive: true, force: true });
    this.store.delete(id);
  }

  /** Resolves when export `id` has ended (at once when it is not running). */
  async settled(id: string): Promise<void> {
    await this.#done.get(id);
  }

  /** Stops the running exports (their rows fail: the server stopped) and waits for them. */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#done.values()]);
  }

  #failed(id: string, e: unknown): void {
    const message = this.#stop.signal.aborted
      ? STOPPED
      : isTailorError(e)
        ? e.message
        : `the export failed unexpectedly (${(e as Error)?.message ?? String(e)}); the server log has the details`;
    if (!isTailorError(e) || e.code === "internal")
      this.deps.log?.(`export ${id} failed: ${String(e)}`);
    this.store.fail(id, message);
  }

  #view(r: ExportRecord): ExportView {
    return { ...r, progress: r.status === "running" ? (this.#progress.get(r.id) ?? null) : null };
  }
}
