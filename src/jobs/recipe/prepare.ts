/**
 * Prepare: the run's folder, the data files the engine reads (an automatic hold-out written once,
 * seeded), and the checkpoint to go on from after a crash, a shutdown or a resume.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { DatasetStore } from "../../datasets/index.ts";
import { sharedRoot } from "../../store/index.ts";
import type { Job } from "../types.ts";
import type { RunContext } from "./context.ts";

export interface PreparedRun {
  dir: string;
  checkpointDir: string;
  data: { train: string; val: string | null };
  resumeFrom: { path: string; step: number } | null;
}

export function runDir(home: string, jobId: string): string {
  return join(sharedRoot(home), "runs", jobId);
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

export function prepare(job: Job, ctx: RunContext): PreparedRun {
  const { jobs, datasets, home } = ctx.services;
  const dir = runDir(home, job.id);
  const checkpointDir = join(dir, "checkpoints");
  mkdirSync(dir, { recursive: true });
  const data = materializeData(job, datasets, dir);
  const resumeFrom = latestCheckpoint(checkpointDir, jobs.events.lastRecordedStep(job.id));
  if (resumeFrom) jobs.events.dropCurveAfter(job.id, resumeFrom.step);
  jobs.events.add(job.id, {
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
  return { dir, checkpointDir, data, resumeFrom };
}

/**
 * The chat JSONL files the engine reads. Stored datasets are read in place; an automatic hold-out is
 * written into the run folder once (seeded, so a resumed run trains on the same split).
 */
function materializeData(
  job: Job,
  datasets: DatasetStore,
  dir: string,
): { train: string; val: string | null } {
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
        const part = (keep: boolean) =>
          lines
            .filter((_, i) => held.has(i) === keep)
            .map((l) => `${l}\n`)
            .join("");
        writeFileSync(files.train, part(false));
        writeFileSync(`${files.val}.tmp`, part(true));
        renameSync(`${files.val}.tmp`, files.val);
      }
      return files;
    }
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
