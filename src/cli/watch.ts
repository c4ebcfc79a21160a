import type { EngineMessage, JobEvent } from "../../protocol/index.ts";
import { ERROR_CODES, type ErrorCode, TailorError } from "../errors/index.ts";
import { followJob, type Job, Worker } from "../jobs/index.ts";
import type { Services } from "../services/index.ts";
import { printJson, say } from "./output.ts";
import { TrainingProgress } from "./progress.ts";

export interface WatchOptions {
  json: boolean;
  /** Run the job in this process (no worker is running). */
  runHere: boolean;
  verbose?: boolean;
  /** Start after this event (0: show the job's whole history). */
  after?: number;
}

/** One event as a JSON line: its fields, with the engine's data at the top level. */
export function eventLine(e: JobEvent): Record<string, unknown> {
  return {
    type: e.type,
    job_id: e.job_id,
    id: e.id,
    seq: e.seq,
    created_at: e.created_at,
    level: e.level,
    message: e.message,
    ...e.data,
  };
}

/**
 * Shows a job's events until it ends: a live progress bar with loss and ETA (or JSON lines), run in
 * this process when asked. Ctrl-C cancels a job run here (it keeps its checkpoints) or stops
 * watching one that a worker runs. Throws the job's error when it failed.
 */
export async function watchJob(svc: Services, jobId: string, opts: WatchOptions): Promise<Job> {
  const follow = new AbortController();
  const classifier = svc.jobs.find(jobId)?.spec.method === "classify";
  const progress = new TrainingProgress(classifier ? "accuracy" : "token accuracy");
  let worker: Worker | null = null;
  let running: Promise<unknown> = Promise.resolve();
  if (opts.runHere) {
    worker = new Worker({
      services: svc,
      ...(opts.verbose ? { onLog: (l: string) => progress.line(`[engine] ${l}`) } : {}),
    });
    const w = worker;
    running = w.runNext(jobId).finally(() => w.close());
  }
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    if (opts.runHere) {
      progress.line("cancelling at the next step (press Ctrl-C again to quit at once)…");
      try {
        svc.jobs.requestCancel(jobId);
      } catch {
        // it has just ended
      }
    } else {
      progress.line(
        `stopped watching; the job goes on in its worker. \`tailor jobs follow ${jobId}\` watches it again, \`tailor jobs cancel ${jobId}\` stops it.`,
      );
      follow.abort();
    }
  };
  process.on("SIGINT", onSigint);
  try {
    for await (const e of followJob(svc.jobs, jobId, {
      after: opts.after ?? 0,
      signal: follow.signal,
    })) {
      if (opts.json) printJson(eventLine(e));
      else show(e, progress);
    }
    await running;
  } finally {
    progress.stop();
    process.off("SIGINT", onSigint);
  }
  const job = svc.jobs.get(jobId);
  if (job.status === "failed" && job.error) {
    const code = (ERROR_CODES as readonly string[]).includes(job.error.code)
      ? (job.error.code as ErrorCode)
      : "internal";
    throw new TailorError({ code, message: `job ${job.id} failed: ${job.error.message}` });
  }
  if (job.status === "cancelled") process.exitCode = 130;
  return job;
}

function show(e: JobEvent, progress: TrainingProgress): void {
  switch (e.type) {
    case "metrics":
    case "evaluation":
      progress.update({ type: e.type, ...e.data } as EngineMessage);
      break;
    case "checkpoint":
      break;
    case "completed":
      progress.stop();
      say(e.message);
      break;
    case "failed":
      progress.stop(); // the CLI prints the error as it exits
      break;
    case "cancelled":
      progress.line(`cancelled: ${e.message}`);
      break;
    case "message":
      progress.line(e.message);
      break;
  }
}
