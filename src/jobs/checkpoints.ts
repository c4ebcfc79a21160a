import { existsSync } from "node:fs";
import { join } from "node:path";
import { TailorError } from "../errors/index.ts";
import {
  type ModelJobs,
  type ModelRegistry,
  parseCheckpointRef,
  type ResolvedModel,
} from "../models/index.ts";
import type { JobStore } from "./store/index.ts";
import type { JobCheckpoint } from "./types.ts";

/** Whether `ref` names a checkpoint (`JOB_ID:step-N`, `MODEL:ckpt-step-N`, `ftckpt-…`). */
export function isCheckpointRef(ref: string): boolean {
  return parseCheckpointRef(ref) !== null;
}

/** Whether the checkpoint's adapter is still on disk (older ones are pruned as training goes on). */
export function checkpointKept(c: JobCheckpoint): boolean {
  return existsSync(join(c.path, "adapter_model.safetensors"));
}

/**
 * A checkpoint as a model: the job's base with the adapter saved at that step. Null when
 * `ref` does not name a checkpoint at all; an error when it names one that does not exist (any more).
 */
export function resolveCheckpoint(store: JobStore, ref: string): ResolvedModel | null {
  const r = parseCheckpointRef(ref);
  if (!r) return null;
  let ckpt: JobCheckpoint | null | undefined;
  if (r.kind === "id") ckpt = store.events.checkpoint(r.id);
  else {
    const job = r.kind === "job" ? store.find(r.job) : store.findByModelName(r.model);
    ckpt = job ? store.events.checkpoints(job.id).find((c) => c.step === r.step) : null;
  }
  if (!ckpt) {
    throw new TailorError({
      code: "model_not_found",
      message: `no checkpoint ${ref}; \`tailor jobs checkpoints JOB_ID\` lists a job's checkpoints`,
      details: { field: "model" },
    });
  }
  if (!checkpointKept(ckpt)) {
    throw new TailorError({
      code: "model_not_found",
      message: `the checkpoint at step ${ckpt.step} of ${ckpt.job_id} was removed to save space (only the latest and the best are kept); \`tailor jobs checkpoints ${ckpt.job_id}\` lists those that are left`,
      details: { field: "model" },
    });
  }
  const job = store.get(ckpt.job_id);
  return {
    name: r.kind === "id" ? `${job.id}:step-${ckpt.step}` : ref,
    source: job.spec.base_source,
    adapterDir: ckpt.path,
  };
}

/** Any model a command names: a checkpoint, or whatever the registry resolves (name, folder, …). */
export function resolveModelRef(
  svc: {
    jobs: JobStore;
    models: ModelRegistry;
    /** Model names (`support`, `support@v2`): a model's own id wins over a name. */
    modelNames?: { resolve(ref: string): { model: string } | null };
  },
  ref: string,
): ResolvedModel {
  const named = svc.models.get(ref) ? null : svc.modelNames?.resolve(ref);
  const id = named?.model ?? ref;
  return resolveCheckpoint(svc.jobs, id) ?? svc.models.resolve(id);
}

/** The jobs as model access control sees them (the models domain's port). */
export function modelJobs(store: JobStore): ModelJobs {
  return {
    ownerOf: (jobId) => store.find(jobId)?.owner ?? null,
    making: (name) => store.findByModelName(name),
    checkpoint: (ref) => resolveCheckpoint(store, ref),
  };
}
