/**
 * Who may use which model: base models are everyone's; a fine-tuned model belongs to the owner of
 * the job that made it, and others may use it only when an admin has shared it. The jobs a model
 * came from are reached through a small port (`ModelJobs`), so this domain does not import jobs.
 */
import { rmSync } from "node:fs";
import type { ModelName } from "../../protocol/versions.ts";
import type { Principal } from "../auth/index.ts";
import { TailorError } from "../errors/index.ts";
import type { SqlDb } from "../store/sql.ts";
import { parseCheckpointRef } from "./checkpoint-ref.ts";
import type { ModelNames, NameResolution } from "./names/index.ts";
import { parseNameRef } from "./names/index.ts";
import type { ModelEntry, ModelRegistry, ResolvedModel } from "./registry.ts";

export interface ModelAccess {
  entry: ModelEntry;
  /** The key owner whose job made it (null: made from the CLI on this machine). */
  owner: string | null;
  shared: boolean;
}

/** What access control needs to know of the jobs that make models. */
export interface ModelJobs {
  /** The owner of job `jobId` (null: unknown, or made from the CLI). */
  ownerOf(jobId: string): string | null;
  /** The latest job that makes or made the model `name`. */
  making(name: string): { id: string; status: string } | null;
  /** A checkpoint as a model; null when `ref` names no checkpoint. */
  checkpoint(ref: string): ResolvedModel | null;
}

/** Which fine-tuned models an admin has shared (the `model_access` table). */
export class ModelShares {
  constructor(private readonly db: SqlDb) {}

  isShared(name: string): boolean {
    const row = this.db.prepare("SELECT shared FROM model_access WHERE name = ?").get(name) as
      | { shared: number }
      | undefined;
    return row?.shared === 1;
  }

  set(name: string, shared: boolean): void {
    this.db
      .prepare(
        "INSERT INTO model_access (name, shared) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET shared = excluded.shared",
      )
      .run(name, shared ? 1 : 0);
  }

  forget(name: string): void {
    this.db.prepare("DELETE FROM model_access WHERE name = ?").run(name);
  }
}

const modelNotFound = (id: string) =>
  new TailorError({
    code: "model_not_found",
    message: `the model '${id}' does not exist or you do not have access to it; GET /v1/models lists yours`,
    details: { field: "model" },
  });

export class ModelAccessControl {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly shares: ModelShares,
    private readonly jobs: ModelJobs,
    /** Model names (`support`, `support@v2`); without them every id is a model's. */
    private readonly names?: ModelNames,
  ) {}

  describe(entry: ModelEntry): ModelAccess {
    if (entry.kind === "base") return { entry, owner: null, shared: true };
    const jobId =
      entry.manifest?.kind === "fine_tuned" ? entry.manifest.training.job_id : undefined;
    return {
      entry,
      owner: jobId ? this.jobs.ownerOf(jobId) : null,
      shared: this.shares.isShared(entry.name),
    };
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
    if (!access || !this.canUse(p, access)) throw modelNotFound(id);
    return access;
  }

  /**
   * The model name `name` if the caller may see it: the keys of its owner (any role) and admins;
   * another owner's name answers 404 as if it did not exist.
   */
  name(p: Principal, name: string): ModelName {
    const n = this.names?.find(name);
    if (!n || (p.role !== "admin" && n.owner !== p.owner)) {
      throw new TailorError({
        code: "not_found",
        message: `no model name '${name}'; GET /v1/model_names (or tailor models names) lists yours`,
        details: { field: "name" },
      });
    }
    return n;
  }

  /**
   * `support` (its current version) or `support@v2` (a pinned version) as the model that answers,
   * for a caller who may see the name and may use that model (a viewer: a base or shared model);
   * null when `id` is a model's id or no name. Another owner's name is the 404 of an unknown model.
   */
  named(p: Principal, id: string): NameResolution | null {
    const ref = parseNameRef(id);
    if (!this.names || !ref || this.registry.get(id)) return null; // a model's id is the model
    const n = this.names.find(ref.name);
    if (!n) return null;
    if (p.role !== "admin" && n.owner !== p.owner) throw modelNotFound(id);
    const r = this.names.resolve(id);
    if (!r) return null;
    const entry = this.registry.get(r.model);
    if (!entry || !this.canUse(p, this.describe(entry))) {
      throw new TailorError({
        code: entry ? "forbidden" : "model_not_found",
        message: entry
          ? `${r.name} v${r.version} answers with '${r.model}', which this ${p.role} key may not use (a viewer key may use base models and models an admin has shared)`
          : `${r.name} v${r.version} answers with '${r.model}', which no longer exists; promote another version (tailor models promote ${r.name} vN)`,
        details: { field: "model" },
      });
    }
    return r;
  }

  /**
   * What the engine needs to run `id` for this caller: a model name's version (`support`,
   * `support@v2`), a model, or a checkpoint of one named by the model (`MODEL:ckpt-step-N` or
   * `MODEL:step-N`; job ids and checkpoint ids are the CLI's).
   */
  resolve(p: Principal, id: string): ResolvedModel {
    const named = this.named(p, id);
    return this.#resolveModel(p, named ? named.model : id);
  }

  #resolveModel(p: Principal, id: string): ResolvedModel {
    const ref = parseCheckpointRef(id);
    if (ref?.kind === "model") {
      this.get(p, ref.model); // the model must be the caller's before its checkpoints are looked at
      const ckpt = this.jobs.checkpoint(id);
      if (ckpt) return ckpt;
    }
    const job = this.jobs.making(id);
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
    this.shares.set(name, shared);
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
    this.shares.forget(id);
  }
}
