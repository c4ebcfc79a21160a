/**
 * Train: the engine process for the job, each of its messages stored as an event, and the trained
 * adapter described by its manifest in `outDir` (a model folder, not yet installed).
 */
import type { EngineMessage, EngineMessageOf } from "../../../protocol/index.ts";
import { engineFailure, runEngine } from "../../engine/index.ts";
import { TailorError } from "../../errors/index.ts";
import { openNodes } from "../nodes.ts";
import type { NewEvent } from "../store/index.ts";
import type { Job } from "../types.ts";
import type { RunContext } from "./context.ts";
import type { PreparedRun } from "./prepare.ts";

export type Trained = EngineMessageOf<"completed">;

/** Runs the engine to its end; `onStep` hears each step reached (for the job's end message). */
export async function train(
  job: Job,
  run: PreparedRun,
  outDir: string,
  ctx: RunContext,
  onStep: (step: number) => void,
): Promise<Trained> {
  // a job on several machines: this worker is node 0 and names the rendezvous (../nodes.ts)
  const nodes = await openNodes(job, ctx.services, ctx.worker, ctx.leaseMs ?? 30_000);
  const messages = runEngine(
    "train",
    {
      base: job.spec.base_source,
      train_file: run.data.train,
      ...(run.data.val ? { val_file: run.data.val } : {}),
      out_dir: outDir,
      checkpoint_dir: run.checkpointDir,
      model_name: job.model_name,
      ...settings(job),
      checkpoint_every_steps: job.spec.checkpoint_every_steps,
      eval_every_steps: job.spec.eval_every_steps,
      early_stopping_patience: job.spec.early_stopping_patience,
      keep_checkpoints: job.spec.keep_checkpoints,
      ...(run.resumeFrom ? { resume_from: run.resumeFrom.path } : {}),
      ...engineMethod(job),
      ...(job.spec.shard ? { shard: true } : {}),
      ...(job.spec.parent
        ? { init_adapter_dir: ctx.services.models.modelDir(job.spec.parent.name) }
        : {}),
    },
    {
      ...engineOptions(job, ctx),
      processes: job.spec.processes ?? 1,
      ...(nodes ? { nodes } : {}),
    },
  );
  return recordRun(job, ctx, messages, {
    onStep,
    onCompleted: (done) => writeManifest(job, outDir, ctx, done),
  });
}

/** How a job's engine process is run: stopped by the job's signal, its pid recorded on the job. */
export function engineOptions(job: Job, ctx: RunContext) {
  return {
    signal: ctx.signal,
    onSpawn: (pid: number) => ctx.services.jobs.queue.setEnginePid(job.id, ctx.worker, pid),
    ...(ctx.onLog ? { onLog: ctx.onLog } : {}),
  };
}

export interface RecordOptions {
  /** Hears each step reached (for the job's end message). */
  onStep: (step: number) => void;
  /** The run's result, before it is returned (the model folder's manifest is written here). */
  onCompleted: (done: Trained) => void;
  /** The job event of a message (default `toEvent`). */
  event?: (msg: EngineMessage) => NewEvent | null;
}

/**
 * A training engine's messages stored as the job's events (progress at most once a second,
 * nothing once another worker owns the job), to its `completed` result; `failed` is thrown.
 */
export async function recordRun(
  job: Job,
  ctx: RunContext,
  messages: AsyncIterable<EngineMessage>,
  opts: RecordOptions,
): Promise<Trained> {
  const { jobs } = ctx.services;
  let lastProgress = 0;
  for await (const msg of messages) {
    if (msg.type === "failed") throw engineFailure(msg);
    if (ctx.reason() === "lost") continue; // another worker owns the job now: write nothing
    if (msg.type === "completed") {
      opts.onCompleted(msg);
      return msg;
    }
    if (msg.type === "metrics" || msg.type === "checkpoint") opts.onStep(msg.step);
    if (msg.type === "checkpoint") jobs.events.addCheckpoint(job.id, msg);
    if (msg.type === "progress") {
      // downloads report often; a line a second is plenty
      if (Date.now() - lastProgress < 1000 && msg.current !== msg.total) continue;
      lastProgress = Date.now();
    }
    const event = (opts.event ?? toEvent)(msg);
    if (event) jobs.events.add(job.id, event);
  }
  throw new TailorError({ code: "engine_crashed", message: "training ended without a result" });
}

/** The adapter folder becomes a model folder: what it was made from, how, and how training went. */
function writeManifest(job: Job, outDir: string, ctx: RunContext, done: Trained): void {
  ctx.services.models.writeManifest(outDir, {
    kind: "fine_tuned",
    name: job.model_name,
    created_at: Math.floor(Date.now() / 1000),
    base: { name: job.base, source: job.spec.base_source },
    ...(job.spec.method ? { method: job.spec.method } : {}),
    ...(job.spec.parent ? { parent: job.spec.parent } : {}),
    training: {
      job_id: job.id,
      train_file: job.training_file,
      ...(job.spec.validation.examples
        ? { val_file: job.validation_file ?? job.spec.validation.source }
        : {}),
      train_examples: job.spec.train_examples,
      ...settings(job),
      ...trainedSummary(done),
      ...(done.best_val_loss !== undefined ? { best_val_loss: done.best_val_loss } : {}),
    },
    ...(done.tools ? { tools: done.tools } : {}),
    ...(done.tool_format ? { tool_format: done.tool_format } : {}),
  });
}

/** The job's hyperparameters as the engine and the manifest name them. */
function settings(job: Job) {
  const hp = job.spec.hyperparameters;
  return {
    epochs: hp.epochs,
    learning_rate: hp.learningRate,
    batch_size: hp.batchSize,
    lora_rank: hp.loraRank,
    lora_alpha: hp.loraAlpha,
    seed: hp.seed,
  };
}

/** The engine's training method for the job's (a classifier is not trained by `train`). */
function engineMethod(job: Job): { method: "sft" | "dpo"; beta?: number } {
  if (job.spec.method === "dpo")
    return {
      method: "dpo",
      ...(job.spec.hyperparameters.beta ? { beta: job.spec.hyperparameters.beta } : {}),
    };
  return { method: "sft" };
}

/** How training went, as the manifest and the job's result record it. */
export function trainedSummary(done: Trained) {
  const { steps, first_train_loss, final_train_loss, train_seconds, stopped_early, model_step } =
    done;
  return { steps, first_train_loss, final_train_loss, train_seconds, stopped_early, model_step };
}

function withoutType(msg: EngineMessage): Record<string, unknown> {
  const { type: _type, ...rest } = msg;
  return rest;
}

/** DPO's reward accuracy and margin, when the message has them. */
const rewards = (m: {
  reward_accuracy?: number | undefined;
  reward_margin?: number | undefined;
}) =>
  m.reward_accuracy === undefined
    ? ""
    : `, reward accuracy ${(m.reward_accuracy * 100).toFixed(1)}%${m.reward_margin === undefined ? "" : `, margin ${m.reward_margin.toFixed(3)}`}`;

/** An engine message as the job's event (null: not stored). */
export function toEvent(msg: EngineMessage): NewEvent | null {
  switch (msg.type) {
    case "metrics":
      return {
        type: "metrics",
        message: `step ${msg.step}/${msg.total_steps}: training loss ${msg.train_loss.toFixed(4)}${rewards(msg)}`,
        data: withoutType(msg),
      };
    case "evaluation":
      return {
        type: "evaluation",
        message: `step ${msg.step}: validation loss ${msg.val_loss.toFixed(4)}, token accuracy ${(msg.val_token_accuracy * 100).toFixed(1)}%${rewards(msg)}`,
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
