/**
 * Text classifiers (jobs with method "classify"): an encoder fine-tuned whole with a classification
 * head by the engine's `train-classifier`, instead of a LoRA adapter by `train`. Here: the plan's
 * hyperparameters and the checks made when such a job is created, and the run's train step (the
 * engine's messages as the job's events, and the manifest of the classifier folder).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { DatasetVersion } from "../../datasets/index.ts";
import { runEngine } from "../../engine/index.ts";
import { TailorError } from "../../errors/index.ts";
import { CLASSIFIER_FILE } from "../../models/index.ts";
import type { HyperparameterInput, Hyperparameters } from "../../training/index.ts";
import type { Job, JobSpec, TrainingMethod } from "../types.ts";
import type { RunContext } from "./context.ts";
import type { PreparedRun } from "./prepare.ts";
import { engineOptions, recordRun, type Trained, toEvent, trainedSummary } from "./train.ts";

/** The base a classifier is trained from when none is named. */
export const DEFAULT_CLASSIFIER_BASE = "all-minilm-l6-v2";
/** Built-in bases that are encoders: they classify, they do not write answers. */
const ENCODER_BUILTINS: ReadonlySet<string> = new Set([DEFAULT_CLASSIFIER_BASE]);
/** Tokens of a text the classifier reads (MiniLM was trained on 256; the rest is cut). */
export const CLASSIFIER_MAX_LENGTH = 256;

/**
 * A job's base and method must go together: a classifier from an encoder, answers from a model that
 * writes them. Only the built-ins are known here; other folders and Hub ids are left to the engine.
 */
export function checkBaseForMethod(
  base: { name: string; source: JobSpec["base_source"] },
  method: TrainingMethod | undefined,
): void {
  if (base.source.kind !== "builtin") return;
  const encoder = ENCODER_BUILTINS.has(base.source.name);
  if (method === "classify" && !encoder)
    throw new TailorError({
      code: "invalid_argument",
      message: `${base.name} writes answers; a text classifier is trained from an encoder: leave --base out (it defaults to ${DEFAULT_CLASSIFIER_BASE}) or name an encoder's folder or Hub id`,
      details: { field: "model" },
    });
  if (method !== "classify" && encoder)
    throw new TailorError({
      code: "invalid_argument",
      message: `${base.name} is an encoder: it sorts texts into labels but does not write answers; train it with --task classify (API: method {"type": "classify"}), or pick a base that writes answers (e.g. smollm2-135m-instruct)`,
      details: { field: "model" },
    });
}

/** A classifier is trained on labelled texts only: every line a text with its label(s). */
export function checkClassifierData(
  train: DatasetVersion,
  val: DatasetVersion | null,
  names: { training: string; validation: string | null },
): void {
  for (const [v, name, field] of [
    [train, names.training, "training_file"],
    [val, names.validation, "validation_file"],
  ] as const) {
    if (v && !v.report.stats.labels)
      throw new TailorError({
        code: "data_invalid",
        message: `${name ?? v.id} is not labelled texts; a classifier learns from lines like {"text": "...", "label": "..."} (JSONL) or a CSV with the columns text,label`,
        details: { field },
      });
  }
}

/**
 * "auto" for fine-tuning a small encoder whole: the rate and batch size usual for BERT-like models
 * (Devlin et al. fine-tune at 2e-5..5e-5 with batches of 16-32; MiniLM's 22M weights take a rate a
 * little higher), and enough epochs for a few hundred optimizer steps on a small set.
 */
export function classifierHyperparameters(
  input: HyperparameterInput,
  examples: number,
): Hyperparameters {
  if (input.loraRank !== undefined)
    throw new TailorError({
      code: "invalid_argument",
      message:
        "a text classifier trains the whole encoder, not a LoRA add-on: leave out the LoRA rank",
      details: { field: "lora_rank" },
    });
  const explanations: string[] = [];
  const pick = <T>(name: string, given: T | undefined, auto: T, why: string): T => {
    explanations.push(
      given === undefined ? `${name}: ${auto} (auto: ${why})` : `${name}: ${given} (set by you)`,
    );
    return given ?? auto;
  };
  const autoEpochs = classifierEpochs(examples);
  const epochs = pick(
    "epochs",
    input.epochs,
    autoEpochs,
    `${examples} texts: ${autoEpochs} passes${autoEpochs > 3 ? " (a small set needs more passes; the overfitting guard stops early when held-out loss stops falling)" : ""}`,
  );
  const batchSize = pick(
    "batch size",
    input.batchSize,
    Math.min(16, examples),
    examples < 16 ? `all ${examples} texts in one step` : "16 texts a step, usual for an encoder",
  );
  const autoRate = 1e-4;
  const rateWhy =
    "the whole encoder is trained: a rate near BERT fine-tuning's (2e-5 to 5e-5), a little higher for a small encoder";
  let learningRate: number;
  if (input.learningRate === undefined && input.learningRateMultiplier !== undefined) {
    learningRate = autoRate * input.learningRateMultiplier;
    explanations.push(
      `learning rate: ${learningRate} (your multiplier ${input.learningRateMultiplier} × the auto rate ${autoRate}: ${rateWhy})`,
    );
  } else learningRate = pick("learning rate", input.learningRate, autoRate, rateWhy);
  explanations.push(
    "training: every weight of the encoder and a new classification head (no LoRA); warmup over the first 10% of steps, then a linear decay",
  );
  const seed = pick("seed", input.seed, 42, "fixed, so a run can be repeated exactly");
  return { epochs, learningRate, batchSize, loraRank: 0, loraAlpha: 0, seed, explanations };
}

/** Passes over the data: ~2,000 texts seen in all (3 passes at least, 10 at most). */
export function classifierEpochs(examples: number): number {
  return Math.min(10, Math.max(3, Math.round(2000 / Math.max(1, examples))));
}

/** What the user reads about the test and the checkpoints of a classifier job. */
export function classifierPlanLines(spec: JobSpec): string[] {
  return [
    spec.validation.examples
      ? `test: at the end, the classifier labels the held-out texts (accuracy, macro-F1, each label's precision and recall, the confusion table, calibration); it is ready if it beats always answering the most common label${spec.gate_min_delta ? ` by ${(spec.gate_min_delta * 100).toFixed(1)} points` : ""} in accuracy and in macro-F1, otherwise it needs review`
      : "test: none at the end (no held-out texts), so the classifier will need review; `tailor eval MODEL --data FILE --save` tests it later",
    `checkpoints: at an epoch's end when a minute has passed since the last one${spec.checkpoint_every_steps ? `, and every ${spec.checkpoint_every_steps} steps` : ""}; the last ${spec.keep_checkpoints} are kept${spec.early_stopping_patience ? ", and the best weights" : ""}`,
    `scores: calibrated on the held-out texts (a temperature fitted to them), texts cut at ${CLASSIFIER_MAX_LENGTH} tokens`,
  ];
}

/** The engine's train-classifier for the job, its messages stored as events; returns `completed`. */
export async function trainClassifier(
  job: Job,
  run: PreparedRun,
  outDir: string,
  ctx: RunContext,
  onStep: (step: number) => void,
): Promise<Trained> {
  const hp = job.spec.hyperparameters;
  const messages = runEngine(
    "train-classifier",
    {
      base: job.spec.base_source,
      train_file: run.data.train,
      ...(run.data.val ? { val_file: run.data.val } : {}),
      out_dir: outDir,
      checkpoint_dir: run.checkpointDir,
      model_name: job.model_name,
      epochs: hp.epochs,
      learning_rate: hp.learningRate,
      batch_size: hp.batchSize,
      seed: hp.seed,
      max_length: CLASSIFIER_MAX_LENGTH,
      eval_every_steps: job.spec.eval_every_steps,
      checkpoint_every_steps: job.spec.checkpoint_every_steps,
      early_stopping_patience: job.spec.early_stopping_patience,
      keep_checkpoints: job.spec.keep_checkpoints,
      ...(run.resumeFrom ? { resume_from: run.resumeFrom.path } : {}),
    },
    engineOptions(job, ctx),
  );
  return recordRun(job, ctx, messages, {
    onStep,
    onCompleted: (done) => writeManifest(job, outDir, ctx, done),
    event: (msg) => {
      const event = toEvent(msg);
      if (event && msg.type === "evaluation")
        event.message = `step ${msg.step}: validation loss ${msg.val_loss.toFixed(4)}, accuracy ${(msg.val_token_accuracy * 100).toFixed(1)}% (of the held-out texts labelled right)`;
      return event;
    },
  });
}

/** What the manifest needs of the engine's tailor_classifier.json. */
const Settings = z.object({ labels: z.array(z.string()).min(2), multi_label: z.boolean() });

/** The classifier folder becomes a model folder: its labels, what it was made from, how it went. */
function writeManifest(job: Job, outDir: string, ctx: RunContext, done: Trained): void {
  const settings = Settings.parse(JSON.parse(readFileSync(join(outDir, CLASSIFIER_FILE), "utf8")));
  const hp = job.spec.hyperparameters;
  ctx.services.models.writeManifest(outDir, {
    kind: "fine_tuned",
    name: job.model_name,
    created_at: Math.floor(Date.now() / 1000),
    base: { name: job.base, source: job.spec.base_source },
    method: "classify",
    labels: settings.labels,
    multi_label: settings.multi_label,
    training: {
      job_id: job.id,
      train_file: job.training_file,
      ...(job.spec.validation.examples
        ? { val_file: job.validation_file ?? job.spec.validation.source }
        : {}),
      train_examples: job.spec.train_examples,
      epochs: hp.epochs,
      learning_rate: hp.learningRate,
      batch_size: hp.batchSize,
      lora_rank: 0,
      lora_alpha: 0,
      seed: hp.seed,
      ...trainedSummary(done),
      ...(done.best_val_loss !== undefined ? { best_val_loss: done.best_val_loss } : {}),
    },
  });
}
