/**
 * Finish: the one way a run of a job ends. Every ending (succeeded, cancelled, handed back, queued
 * again after a crash, failed) is one fenced `finish` of the store with the event that says why.
 */
import type { ForgettingCheck } from "../../../protocol/forgetting.ts";
import type { EngineMessageOf } from "../../../protocol/index.ts";
import { isTailorError, TailorError } from "../../errors/index.ts";
import { diagnoseUnderfitting } from "../../training/index.ts";
import type { JobStore, NewEvent, RunEnd } from "../store/index.ts";
import type { Job, JobResult } from "../types.ts";
import type { StopReason } from "./context.ts";
import type { TestOutcome } from "./test.ts";
import { trainedSummary } from "./train.ts";

/** A job whose engine or worker died is started again this many times in all, then it fails. */
export const MAX_ATTEMPTS = 3;

/** How a run ends: the job's new state, and the event that says why. */
export interface Ending {
  end: RunEnd;
  event: NewEvent;
}

/** Ends the run; false when the job is no longer this worker's (the write is fenced by its lease). */
export function finish(store: JobStore, worker: string, job: Job, e: Ending): boolean {
  return store.queue.finish(job.id, worker, e.end, e.event);
}

export function failed(error: TailorError, step?: number): Ending {
  const { code, message } = error;
  return {
    end: { status: "failed", error: { code, message } },
    event: {
      level: "error",
      type: "failed",
      message,
      data: step === undefined ? { code } : { code, step },
    },
  };
}

/**
 * How a run that threw `e` at `step` ends, given why the worker stopped it: cancelled, handed back,
 * queued again after an engine crash (up to MAX_ATTEMPTS), or failed; null: another worker owns it.
 */
export function endingOf(
  job: Job,
  worker: string,
  reason: StopReason | null,
  e: unknown,
  step: number,
): Ending | null {
  if (reason === "lost") return null;
  const requeue = (message: string): Ending => ({
    end: { status: "queued" },
    event: { level: "warn", type: "message", message, data: { step } },
  });
  if (reason === "cancel")
    return {
      end: { status: "cancelled" },
      event: {
        type: "cancelled",
        message: `cancelled at step ${step}; its checkpoints are kept: \`tailor jobs resume ${job.id}\` goes on from the last one`,
        data: { step },
      },
    };
  if (reason === "shutdown")
    return requeue(
      `worker ${worker} stopped at step ${step}; queued again, to go on from its last checkpoint`,
    );
  const error = isTailorError(e)
    ? e
    : new TailorError({ code: "internal", message: (e as Error)?.message ?? String(e) });
  if (error.code === "engine_crashed" && job.attempts < MAX_ATTEMPTS)
    return requeue(
      `the engine died at step ${step} (${error.message.split("\n")[0]}); queued again to go on from its last checkpoint (attempt ${job.attempts + 1} of ${MAX_ATTEMPTS})`,
    );
  return failed(error, step);
}

/** A run that trained, was tested and installed: its result in words and numbers. */
export function succeeded(
  job: Job,
  done: EngineMessageOf<"completed">,
  test: TestOutcome,
  path: string,
  curves: LossCurves = { train: [], val: [] },
): Ending {
  const { promotion, report } = test;
  const result = resultOf(done, job, curves);
  result.promotion = { status: promotion.status, reason: promotion.reason };
  result.summary += ` ${promotion.status === "ready" ? "Ready" : "Needs review"}: ${promotion.reason}`;
  const { type: _type, ...trained } = done;
  return {
    end: { status: "succeeded", fineTunedModel: job.model_name, result },
    event: {
      type: "completed",
      message: result.summary,
      data: {
        ...trained,
        model: job.model_name,
        path,
        promotion,
        ...(report
          ? {
              evaluation: {
                primary_metric: report.primary_metric,
                model: report.models[0]?.metrics,
                base: report.models[1]?.metrics,
                outcome: report.outcome,
                ...(report.forgetting ? { forgetting: forgettingCounts(report.forgetting) } : {}),
              },
            }
          : {}),
      },
    },
  };
}

/** The job's training and validation loss as [step, loss] points. */
type LossCurves = { train: [number, number][]; val: [number, number][] };

function resultOf(done: EngineMessageOf<"completed">, job: Job, curves: LossCurves): JobResult {
  const parts = [
    `Trained ${done.steps} steps in ${Math.round(done.train_seconds)} s; training loss ${done.first_train_loss.toFixed(3)} -> ${done.final_train_loss.toFixed(3)}.`,
  ];
  if (done.best_val_loss !== undefined) {
    // without the guard the model is the last step's, wherever the lowest loss was
    parts.push(
      job.spec.early_stopping_patience
        ? `The lowest validation loss was ${done.best_val_loss.toFixed(3)}, at step ${done.model_step}.`
        : `The lowest validation loss was ${done.best_val_loss.toFixed(3)}; the model is the last step's (the overfitting guard was off).`,
    );
  }
  if (done.stopped_early) {
    parts.push(
      `The overfitting guard stopped the run: validation loss had not improved for ${job.spec.early_stopping_patience} evaluations, so the model is the checkpoint from step ${done.model_step}.`,
    );
  } else if (done.model_step !== done.steps) {
    parts.push(`The model is the best checkpoint (step ${done.model_step}), not the last step.`);
  }
  // the other way to go wrong: it had not learned its examples yet (src/training/underfitting.ts)
  const underfit = diagnoseUnderfitting(curves.train, {
    val: curves.val,
    stoppedEarly: done.stopped_early,
  });
  if (underfit) parts.push(underfit.message);
  return {
    ...trainedSummary(done),
    best_val_loss: done.best_val_loss ?? null,
    summary: parts.join(" "),
  };
}

/** The general set's counts, for the job's completed event (the answers are in the evaluation). */
function forgettingCounts(f: ForgettingCheck) {
  const { set, items, base_correct, model_correct, lost, gained } = f;
  return { set, items, base_correct, model_correct, lost, gained };
}
