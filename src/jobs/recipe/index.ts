/**
 * A job's run as a recipe (torchtune's shape): prepare (data, resume point) -> train (the engine
 * process and its events) -> test (against the base, into the trained model's folder) -> install
 * (the folder takes its place) -> gate (a retrain only: against the version in use of its model
 * name, which moves or not) -> finish (one way to end: success, retry or failure).
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tempName } from "../../store/index.ts";
import type { Job } from "../types.ts";
import type { RunContext } from "./context.ts";
import { endingOf, finish, succeeded } from "./finish.ts";
import { runGate, withGate } from "./gate.ts";
import { install } from "./install.ts";
import { prepare } from "./prepare.ts";
import { testModel } from "./test.ts";
import { train } from "./train.ts";
import { trainClassifier } from "./train-classifier.ts";

export type { RunContext, StopReason } from "./context.ts";
export { failed, finish, MAX_ATTEMPTS } from "./finish.ts";
export { type GateOptions, runGate, withGate } from "./gate.ts";
export { latestCheckpoint, runDir } from "./prepare.ts";
export { type TestOptions, type TestOutcome, testModel } from "./test.ts";

/**
 * Runs a job the worker has claimed, from its last checkpoint if it has one, and records every event.
 * Ends the job (succeeded, failed, cancelled, or queued again after a crash or a shutdown) unless
 * the worker lost it to another worker.
 */
export async function runJob(job: Job, ctx: RunContext): Promise<void> {
  const { jobs, models } = ctx.services;
  // hidden and named after this process: if it is killed, the store's next opening removes it
  const outDir = join(models.dir, tempName(`.tmp-${job.id}`));
  let step = 0;
  try {
    mkdirSync(models.dir, { recursive: true });
    const run = prepare(job, ctx);
    step = run.resumeFrom?.step ?? 0;
    // a text classifier is an encoder trained whole, not a LoRA adapter (./train-classifier.ts)
    const trainer = job.spec.method === "classify" ? trainClassifier : train;
    const done = await trainer(job, run, outDir, ctx, (s) => {
      step = s;
    });
    const test = await testModel(ctx.services, {
      folder: outDir,
      model: { name: job.model_name, source: job.spec.base_source, adapterDir: outDir },
      data: run.data.val,
      source:
        job.spec.validation.source === "file"
          ? (job.validation_file ?? "validation")
          : "held-out examples",
      minDelta: job.spec.gate_min_delta ?? 0,
      untested: `It was not tested: the job had no held-out examples (at 30 examples Tailor holds 10% out by itself, or pass validation examples). Run \`tailor eval ${job.model_name} --data FILE --save\` with examples it was not trained on.`,
      signal: ctx.signal,
      ...testEvents(job, ctx),
    });
    const path = install(job, run, outDir, ctx);
    // a retrain: the gate against the version in use decides whether its name moves (never fails)
    const gate = await runGate(job, ctx);
    const ending = succeeded(job, done, test, path, jobs.events.lossCurves(job.id));
    finish(jobs, ctx.worker, job, withGate(ending, gate));
  } catch (e) {
    const ending = endingOf(job, ctx.worker, ctx.reason(), e, step);
    if (ending) finish(jobs, ctx.worker, job, ending);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** The test's progress as job events: a line a second at most, nothing once the job is lost. */
function testEvents(job: Job, ctx: RunContext) {
  const { jobs } = ctx.services;
  let last = 0;
  return {
    onStart: (examples: number) =>
      jobs.events.add(job.id, {
        type: "message",
        message: `testing ${job.model_name} against ${job.spec.method === "classify" ? "always answering the most common label" : `its base ${job.base}`} on ${examples} held-out examples`,
        data: { stage: "test", done: 0, total: examples * 2 },
      }),
    onProgress: (done: number, total: number) => {
      if (ctx.reason() === "lost" || (Date.now() - last < 1000 && done !== total)) return;
      last = Date.now();
      jobs.events.add(job.id, {
        type: "message",
        message: `testing: ${done} of ${total} answers`,
        data: { stage: "test", done, total },
      });
    },
    warn: (message: string) =>
      jobs.events.add(job.id, { type: "message", level: "warn", message, data: { stage: "test" } }),
  };
}
