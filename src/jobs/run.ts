import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { EvaluationReport } from "../../protocol/evals.ts";
import type { EngineMessage, EngineMessageOf } from "../../protocol/index.ts";
import { DatasetStore } from "../datasets/index.ts";
import { engineFailure, runEngine } from "../engine/index.ts";
import { isTailorError, TailorError } from "../errors/index.ts";
import {
  decidePromotion,
  evaluate,
  loadEvalExamples,
  saveEvaluation,
  writeCard,
} from "../evals/index.ts";
import { ModelRegistry } from "../models/index.ts";
import type { JobStore, NewEvent } from "./store.ts";
import type { Job, JobResult } from "./types.ts";

/** A job whose engine or worker died is started again this many times in all, then it fails. */
export const MAX_ATTEMPTS = 3;

/** Why a worker stopped the engine of a running job. */
export type StopReason = "cancel" | "shutdown" | "lost";

export interface RunContext {
  store: JobStore;
  worker: string;
  home: string;
  /** Aborted by the worker to stop the engine; `reason()` says why. */
  signal: AbortSignal;
  reason: () => StopReason | null;
  onLog?: ((line: string) => void) | undefined;
}

export function runDir(home: string, jobId: string): string {
  return join(home, "runs", jobId);
}

/**
 * The newest complete checkpoint on disk (the engine writes each one whole, by rename), preferring
 * one no later than `recordedStep`: an engine whose worker died may save a checkpoint after the last
 * step the worker recorded, and resuming from an earlier one keeps the loss curve without gaps.
 */
export function latestCheckpoint(
  dir: string,
  recordedStep = Number.POSITIVE_INFINITY,
): { path: string; step: number } | null {
  if (!existsSync(dir)) return null;
  const all = readdirSync(dir)
    .filter((n) => /^step-\d+$/.test(n) && existsSync(join(dir, n, "trainer_state.pt")))
    .sort()
    .map((n) => ({ path: join(dir, n), step: Number(n.slice(5)) }));
  return all.filter((c) => c.step <= recordedStep).at(-1) ?? all.at(-1) ?? null;
}

/**
 * Runs a job the worker has claimed, from its last checkpoint if it has one, and records every event.
 * Ends the job (succeeded, failed, cancelled, or queued again after a crash or a shutdown) unless
 * the worker lost it to another worker.
 */
export async function runJob(job: Job, ctx: RunContext): Promise<void> {
  const { store } = ctx;
  const dir = runDir(ctx.home, job.id);
  const ckptDir = join(dir, "checkpoints");
  const registry = new ModelRegistry(ctx.home);
  const outTmp = join(registry.dir, `.tmp-${job.id}-${randomBytes(4).toString("hex")}`);
  let lastStep = 0;
  try {
    mkdirSync(dir, { recursive: true });
    const files = materializeData(job, ctx.home, dir);
    const resumeFrom = latestCheckpoint(ckptDir, store.lastRecordedStep(job.id));
    if (resumeFrom) {
      store.dropCurveAfter(job.id, resumeFrom.step);
      lastStep = resumeFrom.step;
    }
    store.addEvent(job.id, {
      type: "message",
      message: resumeFrom
        ? `resuming from the checkpoint at step ${resumeFrom.step} (attempt ${job.attempts})`
        : `started by worker ${ctx.worker}`,
      data: {
        worker: ctx.worker,
        attempt: job.attempts,
        resumed_from_step: resumeFrom?.step ?? null,
      },
    });
    const hp = job.spec.hyperparameters;
    mkdirSync(registry.dir, { recursive: true });
    let completed: EngineMessageOf<"completed"> | undefined;
    let lastProgress = 0;
    for await (const msg of runEngine(
      "train",
      {
        base: job.spec.base_source,
        train_file: files.train,
        ...(files.val ? { val_file: files.val } : {}),
        out_dir: outTmp,
        checkpoint_dir: ckptDir,
        model_name: job.model_name,
        epochs: hp.epochs,
        learning_rate: hp.learningRate,
        batch_size: hp.batchSize,
        lora_rank: hp.loraRank,
        lora_alpha: hp.loraAlpha,
        seed: hp.seed,
        checkpoint_every_steps: job.spec.checkpoint_every_steps,
        eval_every_steps: job.spec.eval_every_steps,
        early_stopping_patience: job.spec.early_stopping_patience,
        keep_checkpoints: job.spec.keep_checkpoints,
        ...(resumeFrom ? { resume_from: resumeFrom.path } : {}),
      },
      {
        signal: ctx.signal,
        onSpawn: (pid) => store.setEnginePid(job.id, ctx.worker, pid),
        ...(ctx.onLog ? { onLog: ctx.onLog } : {}),
      },
    )) {
      if (msg.type === "failed") throw engineFailure(msg);
      if (ctx.reason() === "lost") continue; // another worker owns the job now: write nothing
      if (msg.type === "completed") {
        completed = msg;
        break;
      }
      if (msg.type === "metrics" || msg.type === "checkpoint") lastStep = msg.step;
      if (msg.type === "checkpoint") store.addCheckpoint(job.id, msg);
      if (msg.type === "progress") {
        // downloads report often; a line a second is plenty
        if (Date.now() - lastProgress < 1000 && msg.current !== msg.total) continue;
        lastProgress = Date.now();
      }
      const event = toEvent(msg);
      if (event) store.addEvent(job.id, event);
    }
    if (!completed)
      throw new TailorError({ code: "engine_crashed", message: "training ended without a result" });
    const test = files.val ? await testAgainstBase(job, files.val, outTmp, ctx) : null;
    succeed(job, completed, outTmp, ctx, test);
  } catch (e) {
    end(job, e, lastStep, ctx);
  } finally {
    rmSync(outTmp, { recursive: true, force: true });
  }
}

/** The end-of-run test: the tuned adapter (not yet in place) and its base on the held-out examples. */
async function testAgainstBase(
  job: Job,
  valFile: string,
  adapterDir: string,
  ctx: RunContext,
): Promise<{ report: EvaluationReport | null; error: string | null }> {
  try {
    const { examples } = await loadEvalExamples(valFile, ctx.home);
    ctx.store.addEvent(job.id, {
      type: "message",
      message: `testing ${job.model_name} against its base ${job.base} on ${examples.length} held-out examples`,
      data: { stage: "test", done: 0, total: examples.length * 2 },
    });
    let last = 0;
    const report = await evaluate({
      model: { name: job.model_name, source: job.spec.base_source, adapterDir },
      compare: { name: job.base, source: job.spec.base_source },
      examples,
      source:
        job.spec.validation.source === "file"
          ? (job.validation_file ?? "validation")
          : "held-out examples",
      signal: ctx.signal,
      onProgress: (done, total) => {
        if (ctx.reason() === "lost" || (Date.now() - last < 1000 && done !== total)) return;
        last = Date.now();
        ctx.store.addEvent(job.id, {
          type: "message",
          message: `testing: ${done} of ${total} answers`,
          data: { stage: "test", done, total },
        });
      },
    });
    return { report, error: null };
  } catch (e) {
    if (ctx.signal.aborted) throw e; // cancelled, shut down or lost: the run ends as such
    const message = e instanceof Error ? e.message : String(e);
    ctx.store.addEvent(job.id, {
      type: "message",
      level: "warn",
      message: `the test against the base model failed: ${message}`,
      data: { stage: "test" },
    });
    return { report: null, error: message };
  }
}

function succeed(
  job: Job,
  done: EngineMessageOf<"completed">,
  outTmp: string,
  ctx: RunContext,
  test: { report: EvaluationReport | null; error: string | null } | null,
): void {
  const registry = new ModelRegistry(ctx.home);
  const hp = job.spec.hyperparameters;
  registry.writeManifest(outTmp, {
    kind: "fine_tuned",
    name: job.model_name,
    created_at: Math.floor(Date.now() / 1000),
    base: { name: job.base, source: job.spec.base_source },
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
      lora_rank: hp.loraRank,
      lora_alpha: hp.loraAlpha,
      seed: hp.seed,
      steps: done.steps,
      first_train_loss: done.first_train_loss,
      final_train_loss: done.final_train_loss,
      train_seconds: done.train_seconds,
      stopped_early: done.stopped_early,
      model_step: done.model_step,
      ...(done.best_val_loss !== undefined ? { best_val_loss: done.best_val_loss } : {}),
    },
  });
  const promotion = decidePromotion(test?.report ?? null, {
    model: job.model_name,
    minDelta: job.spec.gate_min_delta ?? 0,
    notEvaluated: test?.error
      ? `The test against its base model failed (${test.error}); run \`tailor eval ${job.model_name} --data FILE --save\` to test it.`
      : `It was not tested: the job had no held-out examples (at 30 examples Tailor holds 10% out by itself, or pass validation examples). Run \`tailor eval ${job.model_name} --data FILE --save\` with examples it was not trained on.`,
  });
  saveEvaluation(outTmp, test?.report ?? null, promotion);
  if (registry.exists(job.model_name)) {
    throw new TailorError({
      code: "model_exists",
      message: `a model named '${job.model_name}' appeared while the job ran; the trained adapter is kept in ${join(runDir(ctx.home, job.id), "checkpoints")}`,
    });
  }
  renameSync(outTmp, registry.modelDir(job.model_name)); // the model appears whole or not at all
  try {
    writeCard(ctx.home, job.model_name);
  } catch (e) {
    ctx.store.addEvent(job.id, {
      type: "message",
      level: "warn",
      message: `could not write the model card (${e instanceof Error ? e.message : e}); \`tailor models card ${job.model_name}\` builds it again`,
      data: {},
    });
  }
  const result = resultOf(done, job);
  result.promotion = { status: promotion.status, reason: promotion.reason };
  result.summary += ` ${promotion.status === "ready" ? "Ready" : "Needs review"}: ${promotion.reason}`;
  ctx.store.finish(
    job.id,
    ctx.worker,
    { status: "succeeded", fineTunedModel: job.model_name, result },
    {
      type: "completed",
      message: result.summary,
      data: {
        ...withoutType(done),
        model: job.model_name,
        path: registry.modelDir(job.model_name),
        promotion,
        ...(test?.report
          ? {
              evaluation: {
                primary_metric: test.report.primary_metric,
                model: test.report.models[0]?.metrics,
                base: test.report.models[1]?.metrics,
                outcome: test.report.outcome,
              },
            }
          : {}),
      },
    },
  );
}

function resultOf(done: EngineMessageOf<"completed">, job: Job): JobResult {
  const parts = [
    `Trained ${done.steps} steps in ${Math.round(done.train_seconds)} s; training loss ${done.first_train_loss.toFixed(3)} -> ${done.final_train_loss.toFixed(3)}.`,
  ];
  if (done.best_val_loss !== undefined) {
    parts.push(
      `The lowest validation loss was ${done.best_val_loss.toFixed(3)}, at step ${done.model_step}.`,
    );
  }
  if (done.stopped_early) {
    parts.push(
      `The overfitting guard stopped the run: validation loss had not improved for ${job.spec.early_stopping_patience} evaluations, so the model is the checkpoint from step ${done.model_step}.`,
    );
  } else if (done.model_step !== done.steps) {
    parts.push(`The model is the best checkpoint (step ${done.model_step}), not the last step.`);
  }
  return {
    steps: done.steps,
    first_train_loss: done.first_train_loss,
    final_train_loss: done.final_train_loss,
    train_seconds: done.train_seconds,
    stopped_early: done.stopped_early,
    model_step: done.model_step,
    best_val_loss: done.best_val_loss ?? null,
    summary: parts.join(" "),
  };
}

/** Ends a run that did not succeed: cancelled, handed back, queued again after a crash, or failed. */
function end(job: Job, e: unknown, step: number, ctx: RunContext): void {
  const reason = ctx.reason();
  const { store, worker } = ctx;
  if (reason === "lost") return; // another worker holds the job now
  if (reason === "cancel") {
    store.finish(
      job.id,
      worker,
      { status: "cancelled" },
      {
        type: "cancelled",
        message: `cancelled at step ${step}; its checkpoints are kept: \`tailor jobs resume ${job.id}\` goes on from the last one`,
        data: { step },
      },
    );
    return;
  }
  if (reason === "shutdown") {
    store.finish(
      job.id,
      worker,
      { status: "queued" },
      {
        level: "warn",
        type: "message",
        message: `worker ${worker} stopped at step ${step}; queued again, to go on from its last checkpoint`,
        data: { step },
      },
    );
    return;
  }
  const err = isTailorError(e)
    ? e
    : new TailorError({ code: "internal", message: (e as Error)?.message ?? String(e) });
  if (err.code === "engine_crashed" && job.attempts < MAX_ATTEMPTS) {
    store.finish(
      job.id,
      worker,
      { status: "queued" },
      {
        level: "warn",
        type: "message",
        message: `the engine died at step ${step} (${err.message.split("\n")[0]}); queued again to go on from its last checkpoint (attempt ${job.attempts + 1} of ${MAX_ATTEMPTS})`,
        data: { step },
      },
    );
    return;
  }
  store.finish(
    job.id,
    worker,
    { status: "failed", error: { code: err.code, message: err.message } },
    {
      level: "error",
      type: "failed",
      message: err.message,
      data: { code: err.code, step },
    },
  );
}

function withoutType(msg: EngineMessage): Record<string, unknown> {
  const { type: _type, ...rest } = msg;
  return rest;
}

function toEvent(msg: EngineMessage): NewEvent | null {
  switch (msg.type) {
    case "metrics":
      return {
        type: "metrics",
        message: `step ${msg.step}/${msg.total_steps}: training loss ${msg.train_loss.toFixed(4)}`,
        data: withoutType(msg),
      };
    case "evaluation":
      return {
        type: "evaluation",
        message: `step ${msg.step}: validation loss ${msg.val_loss.toFixed(4)}, token accuracy ${(msg.val_token_accuracy * 100).toFixed(1)}%`,
        data: withoutType(msg),
      };
    case "checkpoint":
      return {
        type: "checkpoint",
        message: `checkpoint at step ${msg.step}`,
        data: withoutType(msg),
      };
    case "progress":
      return { type: "message", message: msg.message, data: withoutType(msg) };
    default:
      return null;
  }
}

/**
 * The chat JSONL files the engine reads. Stored datasets are read in place; an automatic hold-out is
 * written into the run folder once (seeded, so a resumed run trains on the same split).
 */
function materializeData(
  job: Job,
  home: string,
  dir: string,
): { train: string; val: string | null } {
  const datasets = new DatasetStore(home);
  try {
    const train = datasets.files(job.training_file);
    switch (job.spec.validation.source) {
      case "file":
        return {
          train: train.train,
          val: job.validation_file ? datasets.files(job.validation_file).train : null,
        };
      case "dataset_split":
        return train;
      case "none":
        return { train: train.train, val: null };
      case "auto_split": {
        const files = { train: join(dir, "train.jsonl"), val: join(dir, "val.jsonl") };
        if (!existsSync(files.val)) {
          const lines = readFileSync(train.train, "utf8").split("\n").filter(Boolean);
          const order = shuffled(lines.length, job.spec.hyperparameters.seed);
          const held = new Set(order.slice(0, job.spec.validation.examples));
          writeFileSync(
            files.train,
            lines
              .filter((_, i) => !held.has(i))
              .map((l) => `${l}\n`)
              .join(""),
          );
          writeFileSync(
            `${files.val}.tmp`,
            lines
              .filter((_, i) => held.has(i))
              .map((l) => `${l}\n`)
              .join(""),
          );
          renameSync(`${files.val}.tmp`, files.val);
        }
        return files;
      }
    }
  } finally {
    datasets.close();
  }
}

/** 0..n-1 in an order fixed by `seed` (mulberry32 + Fisher-Yates). */
function shuffled(n: number, seed: number): number[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}
