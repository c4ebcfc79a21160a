import { setTimeout as sleep } from "node:timers/promises";
import { TailorError } from "../errors/index.ts";
import { runAsNode } from "./nodes.ts";
import { machineOffers } from "./offers.ts";
import { failed, finish, MAX_ATTEMPTS, runJob, type StopReason } from "./recipe/index.ts";
import type { JobServices } from "./services.ts";
import { type JobStore, type LiveWorker, newId, type WorkerOffers } from "./store/index.ts";
import type { Job } from "./types.ts";

export interface WorkerOptions {
  /** The stores it claims jobs from and runs them with (the composition root's). */
  services: JobServices;
  /** A job whose worker has not renewed its lease for this long is taken over by another worker. */
  leaseMs?: number;
  /** How often an idle worker looks for work. */
  pollMs?: number;
  /** The engine's log lines. */
  onLog?: ((line: string) => void) | undefined;
  /** One line per job the worker starts and ends. */
  say?: ((line: string) => void) | undefined;
  /** What this worker offers (default: this machine's, ./offers.ts); a GPU job waits for one with a GPU. */
  offers?: WorkerOffers | undefined;
}

export const DEFAULT_LEASE_MS = 30_000;
/** A worker that has not signalled for this long is not counted as running. */
export const WORKER_ALIVE_MS = 10_000;

/**
 * Takes jobs from the store one at a time and runs each in its own engine process. While a job runs
 * the worker renews its lease every second, and stops the engine when the job is cancelled or when
 * another worker has taken the job over (the lease expired). `stop()` hands the running job back to
 * the queue, to be resumed from its last checkpoint.
 */
export class Worker {
  readonly id = newId("worker");
  readonly offers: WorkerOffers;
  private readonly store: JobStore;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private stopping = false;
  private current: { abort: AbortController; reason: StopReason | null } | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly opts: WorkerOptions) {
    this.store = opts.services.jobs;
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.pollMs = opts.pollMs ?? 1000;
    this.offers = opts.offers ?? machineOffers();
    this.store.queue.registerWorker(this.id, this.offers);
  }

  /** Runs jobs until `stop()` (or, with `once`, until the queue is empty). */
  async run(opts: { once?: boolean } = {}): Promise<number> {
    let ran = 0;
    try {
      while (!this.stopping) {
        const job = await this.runNext();
        if (job) ran++;
        else if (opts.once) break;
        else await this.idle();
      }
    } finally {
      this.close();
    }
    return ran;
  }

  /**
   * Claims and runs one job (only `onlyId` when given), or serves as a node of a running job on
   * several machines that is waiting for one; null when there was nothing to do. Joining comes
   * first: two workers that each claimed a job needing two machines would wait for each other.
   */
  async runNext(onlyId?: string): Promise<Job | null> {
    this.store.queue.workerHeartbeat(this.id);
    if (onlyId === undefined) {
      const helped = await this.joinNode();
      if (helped) return this.store.get(helped.id);
    }
    const claimed = this.store.queue.claim(this.id, this.leaseMs, onlyId, this.offers);
    if (!claimed) return null;
    const { job, reclaimed } = claimed;
    if (reclaimed) {
      this.store.events.add(job.id, {
        level: "warn",
        type: "message",
        message: `its worker stopped answering; taken over by worker ${this.id}`,
      });
    }
    if (job.attempts > MAX_ATTEMPTS) {
      const message = `the job was started ${MAX_ATTEMPTS} times and its worker or engine died each time; look at its events, then \`tailor jobs resume ${job.id}\` to try again`;
      finish(
        this.store,
        this.id,
        job,
        failed(new TailorError({ code: "engine_crashed", message })),
      );
      return this.store.get(job.id);
    }
    this.opts.say?.(`running ${job.id} (${job.base} -> ${job.model_name})`);
    const current = { abort: new AbortController(), reason: null as StopReason | null };
    this.current = current;
    const stopWith = (reason: StopReason) => {
      if (current.reason) return;
      current.reason = reason;
      current.abort.abort();
    };
    const beat = setInterval(
      () => {
        try {
          const hb = this.store.queue.heartbeat(job.id, this.id, this.leaseMs);
          this.store.queue.workerHeartbeat(this.id);
          if (!hb.owned) stopWith("lost");
          else if (hb.cancel) stopWith("cancel");
        } catch {
          // a busy database: the next beat tries again, well within the lease
        }
      },
      Math.min(1000, this.leaseMs / 3),
    );
    if (this.stopping) stopWith("shutdown");
    try {
      await runJob(job, {
        services: this.opts.services,
        worker: this.id,
        signal: current.abort.signal,
        reason: () => current.reason,
        onLog: this.opts.onLog,
        leaseMs: this.leaseMs,
      });
    } finally {
      clearInterval(beat);
      this.current = null;
    }
    const after = this.store.get(job.id);
    this.opts.say?.(`${job.id} ${after.status}${after.error ? `: ${after.error.message}` : ""}`);
    return after;
  }

  /**
   * Joins a running job on several machines that still needs one (it does not count as a job run
   * here: node 0's worker runs it and ends it).
   */
  private async joinNode(): Promise<Job | null> {
    const joined = this.store.nodes.join(this.id, this.leaseMs, this.offers.gpus);
    if (!joined) return null;
    const { job, slot } = joined;
    this.opts.say?.(`joining ${job.id} as node ${slot.rank} of ${job.spec.nodes}`);
    const current = { abort: new AbortController(), reason: null as StopReason | null };
    this.current = current;
    if (this.stopping) current.abort.abort();
    try {
      const how = await runAsNode(job, slot, {
        services: this.opts.services,
        worker: this.id,
        leaseMs: this.leaseMs,
        signal: current.abort.signal,
        onLog: this.opts.onLog,
      });
      this.opts.say?.(`${job.id} node ${slot.rank}: ${how}`);
    } finally {
      this.current = null;
    }
    return job;
  }

  /** Stops claiming jobs; a running job is stopped at its next step and queued again. */
  stop(): void {
    this.stopping = true;
    if (this.current && !this.current.reason) {
      this.current.reason = "shutdown";
      this.current.abort.abort();
    }
    this.wake?.();
  }

  /** Takes this worker off the list of live workers (the stores stay open: they are not its own). */
  close(): void {
    try {
      this.store.queue.removeWorker(this.id);
    } catch {
      // the database is already closed
    }
  }

  private async idle(): Promise<void> {
    const ac = new AbortController();
    this.wake = () => ac.abort();
    try {
      await sleep(this.pollMs, undefined, { signal: ac.signal });
    } catch {
      // woken by stop()
    } finally {
      this.wake = null;
    }
  }
}

/** Whether some worker process is alive on this store (signalled in the last few seconds). */
export function workersRunning(store: JobStore): LiveWorker[] {
  return store.queue.liveWorkers(WORKER_ALIVE_MS);
}
