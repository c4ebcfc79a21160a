/**
 * What this machine offers the jobs a worker runs: its CPU cores, its memory and its GPUs. GPUs are
 * counted by `nvidia-smi -L` (the driver's own tool; none when it is absent), unless the worker is
 * told how many to offer (`tailor worker --gpus N`, or 0 to keep a GPU machine's worker off GPU jobs).
 */
import { spawnSync } from "node:child_process";
import { availableParallelism, totalmem } from "node:os";
import type { WorkerOffers } from "./store/queue.ts";

/** NVIDIA GPUs the driver lists; 0 when there is no driver (no `nvidia-smi`) or it fails. */
export function countGpus(): number {
  const r = spawnSync("nvidia-smi", ["-L"], { encoding: "utf8", timeout: 10_000 });
  if (r.error || r.status !== 0) return 0;
  return r.stdout.split("\n").filter((l) => /^GPU \d+:/.test(l)).length;
}

export function machineOffers(gpus?: number): WorkerOffers {
  return {
    cpus: availableParallelism(),
    memoryMb: Math.round(totalmem() / 2 ** 20),
    gpus: gpus ?? countGpus(),
  };
}

/** "2 CPU cores, 24 GiB, no GPU" */
export function describeOffers(o: WorkerOffers): string {
  const gpus = o.gpus === 0 ? "no GPU" : o.gpus === 1 ? "1 GPU" : `${o.gpus} GPUs`;
  return `${o.cpus} CPU cores, ${Math.round(o.memoryMb / 1024)} GiB, ${gpus}`;
}
