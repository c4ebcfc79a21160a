/**
 * The queue: workers claim jobs under a lease they renew, and a run ends with one fenced write, so a
 * worker that lost its job (its lease expired and another took it) cannot overwrite the new owner's.
 */
import { hostname } from "node:os";
import type { JobResult } from "../../../protocol/index.ts";
import { isPostgres, type SqlDb } from "../../store/sql.ts";
import type { Job } from "../types.ts";
import type { JobEvents, NewEvent } from "./events.ts";
import { type JobRow, now } from "./rows.ts";

/** What a worker's machine gives the jobs it runs (0: unknown, for a worker before this was kept). */
export interface WorkerOffers {
  cpus: number;
  memoryMb: number;
  gpus: number;
}

export interface LiveWorker extends WorkerOffers {
  id: string;
  pid: number;
  host: string;
}

/** How a worker's run of a job ended ("queued": handed back, to be resumed). */
export interface RunEnd {
  status: "succeeded" | "failed" | "cancelled" | "queued";
  error?: { code: string; message: string } | undefined;
  fineTunedModel?: string;
  result?: JobResult;
}

export class JobQueue {
  constructor(
    private readonly db: SqlDb,
    private readonly jobs: { get(id: string): Job },
    private readonly events: JobEvents,
  ) {}

  /**
   * Takes the oldest runnable job for `worker`: a queued one, or a running one whose worker's lease
   * has expired (it died). One IMMEDIATE transaction in SQLite; in Postgres the row is locked with
   * FOR UPDATE SKIP LOCKED, so workers on several machines never take the same job and never wait
   * on each other's claims.
   */
  claim(
    worker: string,
    leaseMs: number,
    onlyId?: string,
    offers: Pick<WorkerOffers, "gpus"> = { gpus: 0 },
  ): { job: Job; reclaimed: boolean } | null {
    return this.db
      .transaction(() => {
        const t = Date.now();
        const row = this.db
          .prepare(
            `SELECT * FROM jobs
             WHERE (status = 'queued' OR (status = 'running' AND lease_expires_ms < @t))
               AND (CAST(@only AS TEXT) IS NULL OR id = @only)
               AND (needs_gpu = 0 OR CAST(@gpus AS INTEGER) > 0)
             ORDER BY created_at, id LIMIT 1${isPostgres(this.db) ? " FOR UPDATE SKIP LOCKED" : ""}`,
          )
          .get({ t, only: onlyId ?? null, gpus: offers.gpus }) as JobRow | undefined;
        if (!row) return null;
        this.db
          .prepare(
            `UPDATE jobs SET status = 'running', lease_owner = ?, lease_expires_ms = ?,
               attempts = attempts + 1, started_at = COALESCE(started_at, ?), engine_pid = NULL
             WHERE id = ?`,
          )
          .run(worker, t + leaseMs, now(), row.id);
        return { job: this.jobs.get(row.id), reclaimed: row.status === "running" };
      })
      .immediate();
  }

  /** Extends the lease; says whether the job is still this worker's and whether to cancel it. */
  heartbeat(id: string, worker: string, leaseMs: number): { owned: boolean; cancel: boolean } {
    const info = this.db
      .prepare(
        "UPDATE jobs SET lease_expires_ms = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
      )
      .run(Date.now() + leaseMs, id, worker);
    const row = this.db.prepare("SELECT cancel_requested FROM jobs WHERE id = ?").get(id) as
      | { cancel_requested: number }
      | undefined;
    return { owned: info.changes === 1, cancel: row?.cancel_requested === 1 };
  }

  setEnginePid(id: string, worker: string, pid: number | null): void {
    this.db
      .prepare("UPDATE jobs SET engine_pid = ? WHERE id = ? AND lease_owner = ?")
      .run(pid, id, worker);
  }

  /** Ends a run of the job; ignored (returns false) when the job is no longer this worker's. */
  finish(id: string, worker: string, end: RunEnd, event?: NewEvent): boolean {
    return this.db.transaction(() => {
      const done = this.finishRow(id, worker, end);
      if (done && event) this.events.add(id, event);
      return done;
    })();
  }

  private finishRow(id: string, worker: string, end: RunEnd): boolean {
    const info = this.db
      .prepare(
        `UPDATE jobs SET status = @status, error_code = @code, error_message = @message,
           fine_tuned_model = COALESCE(@model, fine_tuned_model), result_json = COALESCE(@result, result_json),
           finished_at = CASE WHEN @status = 'queued' THEN NULL ELSE CAST(@now AS BIGINT) END,
           lease_owner = NULL, lease_expires_ms = NULL, engine_pid = NULL,
           cancel_requested = CASE WHEN @status = 'queued' THEN cancel_requested ELSE 0 END
         WHERE id = @id AND lease_owner = @worker AND status = 'running'`,
      )
      .run({
        id,
        worker,
        status: end.status,
        code: end.error?.code ?? null,
        message: end.error?.message ?? null,
        model: end.fineTunedModel ?? null,
        result: end.result ? JSON.stringify(end.result) : null,
        now: now(),
      });
    return info.changes === 1;
  }

  registerWorker(id: string, offers: WorkerOffers = { cpus: 0, memoryMb: 0, gpus: 0 }): void {
    const t = Date.now();
    this.db
      .prepare(
        `INSERT INTO workers (id, pid, host, started_at, heartbeat_ms, cpus, memory_mb, gpus)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host,
           started_at = excluded.started_at, heartbeat_ms = excluded.heartbeat_ms,
           cpus = excluded.cpus, memory_mb = excluded.memory_mb, gpus = excluded.gpus`,
      )
      .run(
        id,
        process.pid,
        hostname().slice(0, 100),
        now(),
        t,
        offers.cpus,
        offers.memoryMb,
        offers.gpus,
      );
  }

  workerHeartbeat(id: string): void {
    this.db.prepare("UPDATE workers SET heartbeat_ms = ? WHERE id = ?").run(Date.now(), id);
  }

  removeWorker(id: string): void {
    this.db.prepare("DELETE FROM workers WHERE id = ?").run(id);
  }

  /** Workers that have signalled within `withinMs`, and what each offers. */
  liveWorkers(withinMs: number): LiveWorker[] {
    return this.db
      .prepare(
        `SELECT id, pid, host, cpus, memory_mb AS "memoryMb", gpus FROM workers
         WHERE heartbeat_ms > ? ORDER BY started_at, id`,
      )
      .all(Date.now() - withinMs) as LiveWorker[];
  }
}
