/**
 * Starting a retrain: the plan, its dataset versions (with lineage), and a job that continues from
 * the version in use (its adapter, as any job whose base is a fine-tuned model: src/jobs/parent.ts),
 * with hyperparameters chosen for the new examples unless given. The job's spec carries the retrain
 * (`spec.retrain`), so the gate after its test (src/jobs/recipe/gate.ts) compares the new model with
 * the version in use and decides the promotion.
 */

import type { RetrainResponse } from "../../protocol/api/retrain.ts";
import type { HyperparameterInput } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import { createJob, type Job } from "../jobs/index.ts";
import { markRetrainUsed, storeRetrainDatasets } from "./dataset.ts";
import { planRetrain, planView } from "./plan.ts";
import type { Plan, RetrainOptions, RetrainServices } from "./types.ts";

export interface StartRetrainOptions extends RetrainOptions {
  /** Who asked (the API key's owner, the CLI's user): recorded with the promotion. */
  requestedBy: string;
  /** The job's owner (the API's caller; the CLI's jobs have none). */
  owner?: string | null | undefined;
  /** Only plan: no dataset stored, no item marked used, no job. */
  dryRun?: boolean | undefined;
  /** Overrides of "auto" (epochs may need to be higher on a few examples). */
  hyperparameters?: Omit<HyperparameterInput, "beta"> | undefined;
}

export interface StartedRetrain {
  plan: RetrainResponse;
  /** The job (null for a dry run). */
  job: Job | null;
}

/** Plans the retrain of `name` and, unless a dry run, stores its datasets and queues its job. */
export async function startRetrain(
  svc: RetrainServices,
  name: string,
  opts: StartRetrainOptions,
): Promise<StartedRetrain> {
  const plan = planRetrain(svc, name, opts);
  if (opts.dryRun) return { plan: planView(plan, { dryRun: true }), job: null };
  if (plan.refusal)
    throw new TailorError({
      code: "data_invalid",
      message: `cannot retrain ${name}: ${plan.refusal}`,
      details: { field: "name" },
    });
  const made = await storeRetrainDatasets(svc, plan);
  const job = await createJob(svc, {
    ...opts.hyperparameters,
    base: plan.current.model,
    data: made.datasetId,
    // the usual validation: the version in use's held-out examples, else the corrections held out
    val: made.originalHeldOut ?? made.heldOutDatasetId ?? undefined,
    // but no overfitting guard: on the old held-out examples alone it keeps the checkpoint that
    // learned the corrections least (their loss rises a little while the new answers are learned),
    // and on the corrections held out it would pick the model on the gate's own examples; the gate
    // judges the last checkpoint on both instead (no worse on the old ones, better on the new)
    earlyStopping: false,
    name: modelName(svc, plan),
    owner: opts.owner ?? null,
    retrain: {
      name,
      current_version: plan.current.version,
      current_model: plan.current.model,
      held_out_dataset: made.heldOutDatasetId,
      original_held_out: made.originalHeldOut,
      requested_by: opts.requestedBy,
    },
  });
  try {
    markRetrainUsed(svc, plan, made);
  } catch (e) {
    svc.jobs.requestCancel(job.id); // another retrain took these items: its job trains on them
    throw e;
  }
  return { plan: planView(plan, { dryRun: false, ...made, jobId: job.id }), job };
}

/** `support-v3` for the third version of `support` (the next number free as a model name). */
function modelName(svc: RetrainServices, plan: Plan): string | undefined {
  const taken = (n: string) =>
    svc.models.exists(n) || svc.jobs.modelNameTaken(n) || svc.modelNames.find(n) !== null;
  for (let v = plan.nextVersion; v < plan.nextVersion + 100; v++) {
    const candidate = `${plan.name}-v${v}`;
    if (!taken(candidate)) return candidate;
  }
  return undefined; // createJob makes one from the job's id
}
