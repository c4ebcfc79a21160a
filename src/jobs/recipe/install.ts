/** Install: the tested model folder takes its place among the models, whole or not at all. */
import { renameSync } from "node:fs";
import { join } from "node:path";
import { TailorError } from "../../errors/index.ts";
import type { Job } from "../types.ts";
import type { RunContext } from "./context.ts";
import type { PreparedRun } from "./prepare.ts";

/**
 * Moves `outDir` into the models folder under the job's model name; returns its new path. A model
 * of that name installed by this same job stays as it is: the job's previous attempt was stopped
 * (a crash, kill -9) after the rename and before the job was marked succeeded, and is run again.
 */
export function install(job: Job, run: PreparedRun, outDir: string, ctx: RunContext): string {
  const { models } = ctx.services;
  if (models.exists(job.model_name)) {
    const installed = models.get(job.model_name)?.manifest;
    if (installed?.kind === "fine_tuned" && installed.training.job_id === job.id)
      return models.modelDir(job.model_name);
    throw new TailorError({
      code: "model_exists",
      message: `a model named '${job.model_name}' appeared while the job ran; the trained adapter is kept in ${join(run.dir, "checkpoints")}`,
    });
  }
  const path = models.modelDir(job.model_name);
  renameSync(outDir, path); // the model appears whole or not at all
  return path;
}
