import { existsSync } from "node:fs";
import { join } from "node:path";
import { TailorError } from "../errors/index.ts";
import type { ResolvedModel } from "../models/index.ts";
import { JobStore } from "./store.ts";
import type { JobCheckpoint } from "./types.ts";

/** `ftjob-…:step-12` or a checkpoint id `ftckpt-…`. */
const JOB_STEP = /^(ftjob-[0-9a-f]+):step-(\d+)$/;
const CHECKPOINT_ID = /^ftckpt-[0-9a-f]+$/;

export function isCheckpointRef(ref: string): boolean {
  return JOB_STEP.test(ref) || CHECKPOINT_ID.test(ref);
}

/** Whether the checkpoint's adapter is still on disk (older ones are pruned as training goes on). */
export function checkpointKept(c: JobCheckpoint): boolean {
  return existsSync(join(c.path, "adapter_model.safetensors"));
}

/**
 * A checkpoint as a model: the job's base with the adapter saved at that step. Null when `ref` does
 * not name a checkpoint at all; an error when it names one that does not exist (any more).
 */
export function resolveCheckpoint(home: string, ref: string): ResolvedModel | null {
  if (!isCheckpointRef(ref)) return null;
  const store = new JobStore(home);
  try {
    const m = JOB_STEP.exec(ref);
    const ckpt = m
      ? store.checkpoints(m[1] as string).find((c) => c.step === Number(m[2]))
      : (store.db.prepare("SELECT * FROM job_checkpoints WHERE id = ?").get(ref) as
          | JobCheckpoint
          | undefined);
    if (!ckpt) {
      throw new TailorError({
        code: "model_not_found",
        message: `no checkpoint ${ref}; \`tailor jobs checkpoints JOB_ID\` lists a job's checkpoints`,
      });
    }
    if (!checkpointKept(ckpt)) {
      throw new TailorError({
        code: "model_not_found",
        message: `the checkpoint at step ${ckpt.step} of ${ckpt.job_id} was removed to save space (only the latest and the best are kept); \`tailor jobs checkpoints ${ckpt.job_id}\` lists those that are left`,
      });
    }
    const job = store.get(ckpt.job_id);
    return {
      name: `${job.id}:step-${ckpt.step}`,
      source: job.spec.base_source,
      adapterDir: ckpt.path,
    };
  } finally {
    store.close();
  }
}
