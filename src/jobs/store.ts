import { randomBytes } from "node:crypto";
import { z } from "zod";
import {
  type EngineMessageOf,
  isTerminalStatus,
  type JobEvent,
  type JobEventType,
  JobResult,
  JobSpec,
  type JobStatus,
} from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import type { Db } from "../store/index.ts";
import type { Job, JobCheckpoint } from "./types.ts";

interface JobRow {
  id: string;
  status: JobStatus;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  owner: string | null;
  base: string;
  model_name: string;
  training_file: string;
  validation_file: string | null;
  spec_json: string;
  error_code: string | null;
  error_message: string | null;
  fine_tuned_model: string | null;
  result_json: string | null;
  attempts: number;
  cancel_requested: number;
  lease_owner: string | null;
  lease_expires_ms: number | null;
  engine_pid: number | null;
}

interface EventRow {
  seq: number;
  id: string;
  job_id: string;
  created_at: number;
  level: JobEvent["level"];
  type: JobEventType;
  message: string;
  data_json: string;
}

const now = () => Math.floor(Date.now() / 1000);
export const newId = (prefix: string) => `${prefix}-${randomBytes(12).toString("hex")}`;

function fromRow(r: JobRow): Job {
  const stored = <T>(schema: z.ZodType<T>, json: string, what: string): T => {
    const parsed = schema.safeParse(JSON.parse(json));
    if (parsed.success) return parsed.data;
    throw new TailorError({
      code: "internal",
      message: `job ${r.id}: its stored ${what} is not one this version of Tailor reads (${z.prettifyError(parsed.error)})`,
      details: { field: what },
    });
  };
  return {
    id: r.id,
    status: r.status,
    created_at: r.created_at,
    started_at: r.started_at,
    finished_at: r.finished_at,
    owner: r.owner,
    base: r.base,
    model_name: r.model_name,
    training_file: r.training_file,
    validation_file: r.validation_file,
    spec: stored(JobSpec, r.spec_json, "spec"),
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? "" } : null,
    fine_tuned_model: r.fine_tuned_model,
    result: r.result_json ? stored(JobResult, r.result_json, "result") : null,
    attempts: r.attempts,
    cancel_requested: r.cancel_requested === 1,
    worker: r.lease_owner,
    engine_pid: r.engine_pid,
  };
}

function eventFromRow(r: EventRow): JobEvent {
  return {
    object: "fine_tuning.job.event",
    id: r.id,
    job_id: r.job_id,
    seq: r.seq,
    created_at: r.created_at,
    level: r.level,
    type: r.type,
    message: r.message,
    data: JSON.parse(r.data_json) as Record<string, unknown>,
  };
}

/** How a worker's run of a job ended ("queued": handed back, to be resumed). */
export interface RunEnd {
  status: "succeeded" | "failed" | "cancelled" | "queued";
  error?: { code: string; message: string } | undefined;
  fineTunedModel?: string;
  result?: JobResult;
}

export interface NewEvent {
  level?: JobEvent["level"];
  type: JobEventType;
  message: string;
  data?: Record<string, unknown>;
}

/**
 * Jobs, their events and checkpoints, and the workers that run them, in TAILOR_HOME/tailor.db.
 * Every change of state is one transaction; a worker's writes are fenced by its lease, so a worker
 * that lost its job (its lease expired and another took it) cannot overwrite the new owner's work.
 */
export class JobStore {
  constructor(private readonly db: Db) {}

  insert(job: Omit<Job, "worker" | "engine_pid" | "attempts" | "cancel_requested">): Job {
    this.db
      .prepare(
        `INSERT INTO jobs (id, status, created_at, owner, base, model_name, training_file, validation_file, spec_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        job.id,
        job.status,
        job.created_at,
        job.owner,
        job.base,
        job.model_name,
        job.training_file,
        job.validation_file,
        JSON.stringify(job.spec),
      );
    return this.get(job.id);
  }

  find(id: string): Job | null {
    const row = this.db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
    return row ? fromRow(row) : null;
  }

  /** The job that makes (or made) the model called `name`, when one did. */
  findByModelName(name: string): Job | null {
    const row = this.db
      .prepare("SELECT * FROM jobs WHERE model_name = ? ORDER BY created_at DESC LIMIT 1")
      .get(name) as JobRow | undefined;
    return row ? fromRow(row) : null;
  }

  get(id: string): Job {
    const job = this.find(id);
    if (!job)
      throw new TailorError({
        code: "not_found",
        message: `no job ${id}; \`tailor jobs list\` shows the jobs`,
      });
    return job;
  }

  /** Newest first, as OpenAI lists them; `after` is the id of the last job of the previous page. */
  list(opts: { limit?: number; after?: string | undefined; owner?: string } = {}): Job[] {
    const after = opts.after ? this.get(opts.after) : null;
    const rows = this.db
      .prepare(
        `SELECT * FROM jobs
         WHERE (@owner IS NULL OR owner = @owner)
           AND (@after_created IS NULL OR created_at < @after_created OR (created_at = @after_created AND id < @after_id))
         ORDER BY created_at DESC, id DESC LIMIT @limit`,
      )
      .all({
        owner: opts.owner ?? null,
        after_created: after?.created_at ?? null,
        after_id: after?.id ?? null,
        limit: opts.limit ?? 20,
      }) as JobRow[];
    return rows.map(fromRow);
  }

  /** A job name is taken while a job that has not failed or been cancelled means to create it. */
  modelNameTaken(name: string): boolean {
    const row = this.db
      .prepare(
        "SELECT 1 FROM jobs WHERE model_name = ? AND status NOT IN ('failed', 'cancelled') LIMIT 1",
      )
      .get(name);
    return row !== undefined;
  }

  /** Moves a job that no worker holds to `status`, with the event that says why, in one transaction. */
  transition(
    id: string,
    status: JobStatus,
    event: NewEvent,
    fields: { error?: { code: string; message: string } } = {},
  ): Job {
    return this.db.transaction(() => {
      this.setStatus(id, status, fields);
      this.addEvent(id, event);
      return this.get(id);
    })();
  }

  private setStatus(
    id: string,
    status: JobStatus,
    fields: { error?: { code: string; message: string } } = {},
  ) {
    this.db
      .prepare(
        `UPDATE jobs SET status = ?, error_code = ?, error_message = ?,
           finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE id = ?`,
      )
      .run(
        status,
        fields.error?.code ?? null,
        fields.error?.message ?? null,
        isTerminalStatus(status) ? 1 : 0,
        now(),
        id,
      );
  }

  /**
   * Takes the oldest runnable job for `worker`: a queued one, or a running one whose worker's lease
   * has expired (it died). One IMMEDIATE transaction, so two workers never take the same job.
   */
  claim(worker: string, leaseMs: number, onlyId?: string): { job: Job; reclaimed: boolean } | null {
    return this.db
      .transaction(() => {
        const t = Date.now();
        const row = this.db
          .prepare(
            `SELECT * FROM jobs
             WHERE (status = 'queued' OR (status = 'running' AND lease_expires_ms < @t))
               AND (@only IS NULL OR id = @only)
             ORDER BY created_at, id LIMIT 1`,
          )
          .get({ t, only: onlyId ?? null }) as JobRow | undefined;
        if (!row) return null;
        this.db
          .prepare(
            `UPDATE jobs SET status = 'running', lease_owner = ?, lease_expires_ms = ?,
               attempts = attempts + 1, started_at = COALESCE(started_at, ?), engine_pid = NULL
             WHERE id = ?`,
          )
          .run(worker, t + leaseMs, now(), row.id);
        return { job: this.get(row.id), reclaimed: row.status === "running" };
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
      if (done && event) this.addEvent(id, event);
      return done;
    })();
  }

  private finishRow(id: string, worker: string, end: RunEnd): boolean {
    const info = this.db
      .prepare(
        `UPDATE jobs SET status = @status, error_code = @code, error_message = @message,
           fine_tuned_model = COALESCE(@model, fine_tuned_model), result_json = COALESCE(@result, result_json),
           finished_at = CASE WHEN @status = 'queued' THEN NULL ELSE @now END,
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

  /**
   * Cancel: a job that has not started is cancelled at once; a running one is asked to stop (its
   * worker stops the engine at the next step, keeping its checkpoints).
   */
  requestCancel(id: string): Job {
    return this.db
      .transaction(() => {
        const job = this.get(id);
        if (isTerminalStatus(job.status)) {
          throw new TailorError({
            code: "conflict",
            message: `job ${id} is already ${job.status}; only a job that is validating, queued or running can be cancelled`,
          });
        }
        if (job.status === "running") {
          this.db.prepare("UPDATE jobs SET cancel_requested = 1 WHERE id = ?").run(id);
          this.addEvent(id, {
            type: "message",
            message: "cancel requested; stopping at the next step",
          });
        } else {
          this.setStatus(id, "cancelled");
          this.addEvent(id, { type: "cancelled", message: "cancelled before it started" });
        }
        return this.get(id);
      })
      .immediate();
  }

  /** Puts a cancelled or failed job back in the queue; it goes on from its last checkpoint. */
  resume(id: string): Job {
    return this.db
      .transaction(() => {
        const job = this.get(id);
        if (job.status !== "cancelled" && job.status !== "failed") {
          throw new TailorError({
            code: "conflict",
            message: `job ${id} is ${job.status}; only a cancelled or failed job can be resumed`,
          });
        }
        this.db
          .prepare(
            `UPDATE jobs SET status = 'queued', error_code = NULL, error_message = NULL,
               finished_at = NULL, cancel_requested = 0 WHERE id = ?`,
          )
          .run(id);
        this.addEvent(id, { type: "message", message: "resume requested; queued again" });
        return this.get(id);
      })
      .immediate();
  }

  addEvent(jobId: string, e: NewEvent): JobEvent {
    const id = newId("ftevent");
    const step = typeof e.data?.step === "number" ? e.data.step : null;
    const info = this.db
      .prepare(
        `INSERT INTO job_events (id, job_id, created_at, level, type, message, step, data_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        jobId,
        now(),
        e.level ?? "info",
        e.type,
        e.message,
        step,
        JSON.stringify(e.data ?? {}),
      );
    return eventFromRow(
      this.db
        .prepare("SELECT * FROM job_events WHERE seq = ?")
        .get(info.lastInsertRowid) as EventRow,
    );
  }

  /** Events in the order they happened, after the event with sequence number `after`. */
  events(jobId: string, opts: { after?: number; limit?: number } = {}): JobEvent[] {
    return (
      this.db
        .prepare("SELECT * FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?")
        .all(jobId, opts.after ?? 0, opts.limit ?? 10_000) as EventRow[]
    ).map(eventFromRow);
  }

  /**
   * A run that resumes from the checkpoint at `step` recomputes the steps after it: their earlier
   * metrics and evaluations are dropped so that the curve has one point per step.
   */
  dropCurveAfter(jobId: string, step: number): number {
    return this.db
      .prepare(
        "DELETE FROM job_events WHERE job_id = ? AND type IN ('metrics', 'evaluation') AND step > ?",
      )
      .run(jobId, step).changes;
  }

  /** The job's training and validation loss as [step, loss] points, in order. */
  lossCurves(jobId: string): { train: [number, number][]; val: [number, number][] } {
    const train: [number, number][] = [];
    const val: [number, number][] = [];
    for (const e of this.events(jobId, { limit: 1_000_000 })) {
      const d = e.data as { step?: number; train_loss?: number; val_loss?: number };
      if (e.type === "metrics" && d.step !== undefined && d.train_loss !== undefined)
        train.push([d.step, d.train_loss]);
      if (e.type === "evaluation" && d.step !== undefined && d.val_loss !== undefined)
        val.push([d.step, d.val_loss]);
    }
    return { train, val };
  }

  /** The last training step whose metrics are stored (0 before the first). */
  lastRecordedStep(jobId: string): number {
    const row = this.db
      .prepare("SELECT MAX(step) AS step FROM job_events WHERE job_id = ? AND type = 'metrics'")
      .get(jobId) as { step: number | null };
    return row.step ?? 0;
  }

  addCheckpoint(jobId: string, msg: EngineMessageOf<"checkpoint">): JobCheckpoint {
    this.db
      .prepare(
        `INSERT INTO job_checkpoints (id, job_id, step, epoch, path, created_at, train_loss, val_loss)
         VALUES (@id, @job_id, @step, @epoch, @path, @created_at, @train_loss, @val_loss)
         ON CONFLICT (job_id, step) DO UPDATE SET path = excluded.path, epoch = excluded.epoch,
           created_at = excluded.created_at, train_loss = excluded.train_loss, val_loss = excluded.val_loss`,
      )
      .run({
        id: newId("ftckpt"),
        job_id: jobId,
        step: msg.step,
        epoch: msg.epoch,
        path: msg.path,
        created_at: now(),
        train_loss: msg.train_loss ?? null,
        val_loss: msg.val_loss ?? null,
      });
    return this.db
      .prepare("SELECT * FROM job_checkpoints WHERE job_id = ? AND step = ?")
      .get(jobId, msg.step) as JobCheckpoint;
  }

  /** A checkpoint by its id (`ftckpt-…`). */
  checkpoint(id: string): JobCheckpoint | null {
    return (
      (this.db.prepare("SELECT * FROM job_checkpoints WHERE id = ?").get(id) as
        | JobCheckpoint
        | undefined) ?? null
    );
  }

  /** Every checkpoint the job recorded, newest first (some may since have been pruned from disk). */
  checkpoints(jobId: string): JobCheckpoint[] {
    return this.db
      .prepare("SELECT * FROM job_checkpoints WHERE job_id = ? ORDER BY step DESC")
      .all(jobId) as JobCheckpoint[];
  }

  registerWorker(id: string): void {
    const t = Date.now();
    this.db
      .prepare(
        "INSERT OR REPLACE INTO workers (id, pid, host, started_at, heartbeat_ms) VALUES (?, ?, ?, ?, ?)",
      )
      .run(id, process.pid, (process.env.HOSTNAME ?? "localhost").slice(0, 100), now(), t);
  }

  workerHeartbeat(id: string): void {
    this.db.prepare("UPDATE workers SET heartbeat_ms = ? WHERE id = ?").run(Date.now(), id);
  }

  removeWorker(id: string): void {
    this.db.prepare("DELETE FROM workers WHERE id = ?").run(id);
  }

  /** Workers that have signalled within `withinMs`. */
  liveWorkers(withinMs: number): { id: string; pid: number; host: string }[] {
    return this.db
      .prepare("SELECT id, pid, host FROM workers WHERE heartbeat_ms > ?")
      .all(Date.now() - withinMs) as { id: string; pid: number; host: string }[];
  }
}
