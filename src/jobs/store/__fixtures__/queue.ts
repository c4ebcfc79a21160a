/** Tiny queued jobs and claiming processes (./claimer.ts), for the store's tests and bench/queue-claims. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { JobSpec } from "../../../../protocol/index.ts";
import type { DatasetVersion } from "../../../datasets/index.ts";
import { planSpec } from "../../create.ts";
import type { Job } from "../../types.ts";
import { type JobStore, newId } from "../index.ts";

const CLAIMER = fileURLToPath(new URL("./claimer.ts", import.meta.url));

/** What `tailor train --base tiny` on 20 examples would run. */
export const TINY_SPEC: JobSpec = planSpec(
  {},
  { kind: "builtin", name: "tiny" },
  {
    id: "ds-1",
    train_examples: 20,
    val_examples: 0,
  } as DatasetVersion,
  null,
);

let clock = 1_700_000_000;

/** A queued job, created a second after the one before. */
export function queueJob(
  store: JobStore,
  opts: { owner?: string; name?: string; gpu?: boolean; nodes?: number } = {},
): Job {
  return store.insert({
    id: newId("ftjob"),
    status: "queued",
    created_at: clock++,
    started_at: null,
    finished_at: null,
    owner: opts.owner ?? null,
    base: "tiny",
    model_name: opts.name ?? newId("m"),
    training_file: "ds-1",
    validation_file: null,
    spec: {
      ...TINY_SPEC,
      ...(opts.gpu ? { gpu: true as const } : {}),
      ...(opts.nodes ? { nodes: opts.nodes } : {}),
    },
    error: null,
    fine_tuned_model: null,
    result: null,
  });
}

export interface ClaimRun {
  worker: string;
  claimed: string[];
  /** From `startAt` to the process's end. */
  seconds: number;
}

/**
 * A process claiming from the store `args` names (`sqlite HOME` or `postgres URL`) until the queue is
 * empty, starting at `startAt` (ms), so that all of them start together.
 */
export function runClaimer(args: string[], startAt: number): Promise<ClaimRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLAIMER, ...args, String(startAt)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c));
    child.stderr.on("data", (c: Buffer) => (err += c));
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(err));
      const r = JSON.parse(out.trim().split("\n").at(-1) ?? "") as Omit<ClaimRun, "seconds">;
      resolve({ ...r, seconds: (Date.now() - startAt) / 1000 });
    });
  });
}
