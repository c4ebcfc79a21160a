import { totalmem } from "node:os";
import { MAX_PROCESSES } from "../../protocol/api/fine-tuning/jobs.ts";
import {
  DATASET_ID,
  type DatasetStore,
  type DatasetVersion,
  MIN_EXAMPLES,
  RECOMMENDED_EXAMPLES,
} from "../datasets/index.ts";
import { TailorError } from "../errors/index.ts";
import { estimateParameters, ModelName } from "../models/index.ts";
import { type HyperparameterInput, resolveHyperparameters } from "../training/index.ts";
import { checkMethodData } from "./method-data.ts";
import { childName, inheritAdapter, type Parent, trainingStart } from "./parent.ts";
import {
  checkBaseForMethod,
  checkClassifierData,
  classifierHyperparameters,
  classifierPlanLines,
} from "./recipe/train-classifier.ts";
import type { JobServices } from "./services.ts";
import { type JobStore, newId } from "./store/index.ts";
import type { Job, JobSpec, TrainingMethod, ValidationPlan } from "./types.ts";

/** Below this many examples nothing is held out automatically: every example is needed to learn. */
export const AUTO_SPLIT_MIN = 30;
/** Evaluations per run when nothing else is asked for. */
const EVALUATIONS_PER_RUN = 10;
/** Evaluations without a new best validation loss before the overfitting guard stops the run. */
export const DEFAULT_PATIENCE = 3;
const KEEP_CHECKPOINTS = 2;

export interface CreateJobOptions extends HyperparameterInput {
  base: string;
  /** Training examples: a JSONL/CSV file (stored as a dataset version first) or a dataset id. */
  data: string;
  val?: string | undefined;
  /** Name of the model the job makes (default: <base>-ft-<part of the job id>). */
  name?: string | undefined;
  /** Or a name made from the new job's id (the API's `ft:<base>:<suffix>:<id>`). */
  nameFor?: ((jobId: string) => string) | undefined;
  /**
   * The data was checked elsewhere and has errors (an uploaded file): the job is recorded, and fails
   * in `validating_files` with this message.
   */
  dataError?: string | undefined;
  /** How the caller named the data (the API's file ids), shown instead of the dataset ids. */
  files?: { training: string; validation: string | null } | undefined;
  owner?: string | null;
  checkpointEverySteps?: number | undefined;
  /** The overfitting guard (on by default when there are validation examples). */
  earlyStopping?: boolean | undefined;
  /** The promotion gate's margin over the base model (0-1 on the primary metric; default 0). */
  gateMinDelta?: number | undefined;
  /** How the model is taught (default supervised). */
  method?: TrainingMethod | undefined;
  /** A retrain of a model name (src/retrain): copied into the spec for the gate after the test. */
  retrain?: JobSpec["retrain"] | undefined;
  /** Engine processes to train on (torchrun); supervised training only. Default 1. */
  processes?: number | undefined;
  /** Machines the training spans, one worker on each (torchrun's nodes); supervised only. Default 1. */
  nodes?: number | undefined;
  /** Shard the frozen base across the processes (FSDP); only with processes or nodes above 1. */
  shard?: boolean | undefined;
  /** Only a worker that offers a GPU may run the job; it waits in the queue until one does. */
  gpu?: boolean | undefined;
}

/** Stores the data (if given as files), resolves "auto", and queues the job. */
export async function createJob(svc: JobServices, opts: CreateJobOptions): Promise<Job> {
  const { jobs, datasets, models: registry } = svc;
  // a fine-tuned model as the base: training continues from its adapter (./parent.ts)
  const { base, parent } = trainingStart(registry, opts.base, opts.method);
  checkBaseForMethod(base, opts.method); // a classifier from an encoder, answers from the others
  const id = newId("ftjob");
  const taken = (n: string) => registry.exists(n) || jobs.modelNameTaken(n);
  const name =
    opts.name ??
    opts.nameFor?.(id) ??
    (parent ? childName(parent.ref.name, id, taken) : defaultName(base.name, id));
  const check = ModelName.safeParse(name);
  if (!check.success) {
    throw new TailorError({
      code: "invalid_argument",
      message: `model name '${name}': ${check.error.issues[0]?.message}`,
      details: { field: "name" },
    });
  }
  if (taken(name)) {
    throw new TailorError({
      code: "model_exists",
      message: `a model named '${name}' already exists or is being trained; pick another --name or delete it first`,
    });
  }
  /** The new row, in `validating_files`. */
  const insert = (training: string, validation: string | null, spec: JobSpec) =>
    jobs.insert({
      id,
      status: "validating_files",
      created_at: Math.floor(Date.now() / 1000),
      started_at: null,
      finished_at: null,
      owner: opts.owner ?? null,
      base: base.name,
      model_name: name,
      training_file: training,
      validation_file: validation,
      spec: opts.retrain ? { ...spec, retrain: opts.retrain } : spec,
      error: null,
      fine_tuned_model: null,
      result: null,
    });
  if (opts.dataError) {
    // data that failed its check elsewhere (an uploaded file): recorded, and failed with the reason
    const none = { id: opts.data, train_examples: 0, val_examples: 0 } as DatasetVersion;
    insert(opts.data, opts.val ?? null, planSpec(opts, base.source, none, null, parent));
    const message = opts.dataError;
    return jobs.transition(
      id,
      "failed",
      { level: "error", type: "failed", message, data: { code: "data_invalid" } },
      { error: { code: "data_invalid", message } },
    );
  }
  const train = await storedDataset(datasets, opts.data);
  if (train.train_examples < MIN_EXAMPLES) {
    // a small set is fine to validate on (an uploaded file is stored either way), not to train on
    throw new TailorError({
      code: "data_invalid",
      message: `${opts.files?.training ?? opts.data} has only ${train.train_examples} training example${train.train_examples === 1 ? "" : "s"}; fine-tuning needs at least ${MIN_EXAMPLES} (${RECOMMENDED_EXAMPLES} or more work much better)`,
      details: { field: "training_file" },
    });
  }
  const val = opts.val
    ? await storedDataset(datasets, opts.val, `${nameOf(opts.val)}-validation`)
    : null;
  if (opts.method === "classify")
    checkClassifierData(train, val, {
      training: opts.files?.training ?? opts.data,
      validation: opts.files?.validation ?? opts.val ?? null,
    });
  checkMethodData(datasets, opts.method, train, val, {
    training: opts.files?.training ?? opts.data,
    validation: opts.files?.validation ?? opts.val ?? null,
  }); // pairs for DPO, examples otherwise
  const job = insert(train.id, val?.id ?? null, planSpec(opts, base.source, train, val, parent));
  jobs.events.add(id, {
    type: "message",
    message: `created: ${base.name} on ${job.spec.train_examples} examples (${train.id}) -> ${name}`,
    data: { explanations: describeSpec(job.spec) },
  });
  return validate(jobs, datasets, job);
}

/**
 * `validating_files` -> `queued`: the data the job names must still be there. A job whose data is
 * gone fails here with the reason, before any worker spends time on it.
 */
function validate(jobs: JobStore, datasets: DatasetStore, job: Job): Job {
  for (const ds of [job.training_file, job.validation_file]) {
    if (ds && !datasets.find(ds)) {
      const message = `dataset ${ds} no longer exists; add the examples again with \`tailor data add\``;
      return jobs.transition(
        job.id,
        "failed",
        { level: "error", type: "failed", message, data: { code: "file_not_found" } },
        { error: { code: "file_not_found", message } },
      );
    }
  }
  return jobs.transition(job.id, "queued", { type: "message", message: "files validated; queued" });
}

async function storedDataset(
  store: DatasetStore,
  ref: string,
  name?: string,
): Promise<DatasetVersion> {
  if (DATASET_ID.test(ref)) return store.get(ref);
  return (await store.add(ref, name ? { name, purpose: "validation" } : {})).version;
}

function nameOf(file: string): string {
  return (file.split(/[\\/]/).pop() ?? file).replace(/\.[^.]+$/, "");
}

function defaultName(base: string, jobId: string): string {
  const stem =
    base
      .split(/[\\/]/)
      .pop()
      ?.replace(/[^A-Za-z0-9._-]/g, "-")
      .replace(/^[^A-Za-z0-9]+/, "") || "model";
  return `${stem.slice(0, 40)}-ft-${jobId.slice(6, 14)}`;
}

export function planValidation(
  train: DatasetVersion,
  val: DatasetVersion | null,
  earlyStopping = true,
): { validation: ValidationPlan; trainExamples: number } {
  const guard = earlyStopping
    ? "the overfitting guard is on"
    : "the overfitting guard is off (the model is the last step's)";
  if (val) {
    return {
      trainExamples: train.train_examples,
      validation: {
        source: "file",
        examples: val.train_examples,
        note: `validation: ${val.train_examples} examples from ${val.source_file} (${val.id}); ${guard}`,
      },
    };
  }
  if (train.val_examples > 0) {
    return {
      trainExamples: train.train_examples,
      validation: {
        source: "dataset_split",
        examples: train.val_examples,
        note: `validation: the ${train.val_examples} examples held out in ${train.id}; ${guard}`,
      },
    };
  }
  const n = train.train_examples;
  if (n < AUTO_SPLIT_MIN) {
    return {
      trainExamples: n,
      validation: {
        source: "none",
        examples: 0,
        note: `validation: none: ${n} examples are too few to hold some out (${AUTO_SPLIT_MIN} needed), so the overfitting guard is off; give held-out examples with --val to turn it on`,
      },
    };
  }
  const k = Math.min(1000, Math.max(3, Math.round(n * 0.1)));
  return {
    trainExamples: n - k,
    validation: {
      source: "auto_split",
      examples: k,
      note: `validation: ${k} of ${n} examples held out automatically (no validation set was given); ${guard}`,
    },
  };
}

/** What a job created with `opts` on these datasets would run, decided without creating it. */
export function planSpec(
  opts: Pick<
    CreateJobOptions,
    | "epochs"
    | "learningRate"
    | "learningRateMultiplier"
    | "batchSize"
    | "loraRank"
    | "seed"
    | "checkpointEverySteps"
    | "earlyStopping"
    | "gateMinDelta"
    | "files"
    | "method"
    | "beta"
    | "processes"
    | "nodes"
    | "shard"
    | "gpu"
  >,
  baseSource: JobSpec["base_source"],
  train: DatasetVersion,
  val: DatasetVersion | null,
  parent: Parent | null = null,
): JobSpec {
  const { validation, trainExamples } = planValidation(train, val, opts.earlyStopping !== false);
  const requested: HyperparameterInput = {
    epochs: opts.epochs,
    learningRate: opts.learningRate,
    learningRateMultiplier: opts.learningRateMultiplier,
    batchSize: opts.batchSize,
    loraRank: opts.loraRank,
    seed: opts.seed,
    beta: opts.beta,
  };
  const auto =
    opts.method === "classify"
      ? classifierHyperparameters(requested, trainExamples)
      : resolveHyperparameters(requested, trainExamples, {
          baseParameters: estimateParameters(baseSource),
          method: opts.method,
          machine: { memoryBytes: totalmem(), cuda: false },
        });
  const hp = inheritAdapter(auto, parent, opts.loraRank);
  const totalSteps = Math.ceil(trainExamples / Math.max(1, hp.batchSize)) * hp.epochs;
  const hasVal = validation.examples > 0;
  return {
    base_source: baseSource,
    ...(opts.method && opts.method !== "supervised" ? { method: opts.method } : {}),
    ...(parent ? { parent: parent.ref } : {}),
    requested: Object.fromEntries(Object.entries(requested).filter(([, v]) => v !== undefined)),
    hyperparameters: hp,
    train_examples: trainExamples,
    validation,
    checkpoint_every_steps: opts.checkpointEverySteps ?? 0,
    eval_every_steps: hasVal ? Math.max(1, Math.ceil(totalSteps / EVALUATIONS_PER_RUN)) : 0,
    early_stopping_patience: hasVal && opts.earlyStopping !== false ? DEFAULT_PATIENCE : 0,
    keep_checkpoints: KEEP_CHECKPOINTS,
    gate_min_delta: opts.gateMinDelta ?? 0,
    ...(opts.files ? { files: opts.files } : {}),
    ...(processes(opts) > 1 ? { processes: processes(opts) } : {}),
    ...(nodes(opts) > 1 ? { nodes: nodes(opts) } : {}),
    ...(sharded(opts) ? { shard: true as const } : {}),
    ...(opts.gpu ? { gpu: true as const } : {}),
  };
}

/** The processes a job trains on: 1 unless asked, and only supervised training runs on more. */
function processes(opts: Pick<CreateJobOptions, "processes" | "method">): number {
  return spread(opts.processes, "processes", opts.method);
}

/** The machines a job trains on: 1 unless asked, and only supervised training spans more. */
function nodes(opts: Pick<CreateJobOptions, "nodes" | "method">): number {
  return spread(opts.nodes, "nodes", opts.method);
}

/** Whether the base is sharded: asked, and there is more than one process to shard it across. */
function sharded(
  opts: Pick<CreateJobOptions, "shard" | "processes" | "nodes" | "method">,
): boolean {
  if (!opts.shard) return false;
  if (processes(opts) * nodes(opts) <= 1)
    throw new TailorError({
      code: "invalid_argument",
      message:
        "shard splits the base across the job's processes: give it processes (or nodes) above 1, e.g. --processes 2 --shard",
      details: { field: "shard" },
    });
  return true;
}

function spread(asked: number | undefined, field: "processes" | "nodes", method?: string): number {
  const n = asked ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PROCESSES)
    throw new TailorError({
      code: "invalid_argument",
      message: `${field} must be a whole number from 1 to ${MAX_PROCESSES}, not ${n}`,
      details: { field },
    });
  if (n > 1 && method && method !== "supervised")
    throw new TailorError({
      code: "invalid_argument",
      message: `only supervised training runs on several ${field}; a ${method} job runs in one (leave out ${field})`,
      details: { field },
    });
  return n;
}

/** The plan in the words a user reads before the run starts. */
export function describeSpec(spec: JobSpec): string[] {
  const lines = [...spec.hyperparameters.explanations, spec.validation.note];
  if (spec.eval_every_steps)
    lines.push(
      `evaluation: every ${spec.eval_every_steps} steps and at each epoch end (auto: about ${EVALUATIONS_PER_RUN} times in the run)`,
    );
  if (spec.early_stopping_patience)
    lines.push(
      `overfitting guard: stop when validation loss has not improved for ${spec.early_stopping_patience} evaluations, and keep the best checkpoint as the model`,
    );
  if (spec.method === "classify") return [...lines, ...classifierPlanLines(spec)];
  lines.push(
    spec.validation.examples
      ? `test: at the end, the tuned model and its base ${spec.method === "dpo" ? "score the held-out pairs (how often each finds the preferred answer more likely) and answer them side by side; it is ready if its pair accuracy is at least its base's" : "answer the held-out examples; it is ready if it does at least as well"}${spec.gate_min_delta ? ` plus ${(spec.gate_min_delta * 100).toFixed(1)} points` : ""}, otherwise it needs review`
      : "test: none at the end (no held-out examples), so the model will need review; `tailor eval MODEL --data FILE --save` tests it later",
  );
  if (spec.nodes)
    lines.push(
      `nodes: ${spec.nodes} machines, one worker on each, ${spec.processes ?? 1} process(es) on each; it starts when ${spec.nodes - 1} more worker(s) join the first (they share the store and TAILOR_SHARED_DIR)`,
    );
  if (spec.shard)
    lines.push(
      "shard: the base's weights are split across the processes (FSDP), each gathering a layer's weights when it runs; the LoRA weights are whole on each",
    );
  if (spec.gpu) lines.push("runs on a worker with a GPU only (it waits in the queue for one)");
  if (spec.processes)
    lines.push(
      `processes: ${spec.processes}, launched by torchrun; each step's examples are split between them and their gradients summed, so a step is the one a single process takes`,
    );
  lines.push(
    `checkpoints: at each epoch end${spec.checkpoint_every_steps ? ` and every ${spec.checkpoint_every_steps} steps` : ""}${spec.eval_every_steps ? " and each evaluation" : ""}; the last ${spec.keep_checkpoints}${spec.early_stopping_patience ? " and the best" : ""} are kept`,
  );
  return lines;
}
