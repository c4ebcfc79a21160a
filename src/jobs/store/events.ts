/** A job's event log (messages, metrics, evaluations, its ending) and its checkpoints. */
import type { EngineMessageOf, JobEvent, JobEventType } from "../../../protocol/index.ts";
import type { SqlDb } from "../../store/sql.ts";
import type { JobCheckpoint } from "../types.ts";
import { newId, now } from "./rows.ts";

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

export interface NewEvent {
  level?: JobEvent["level"];
  type: JobEventType;
  message: string;
  data?: Record<string, unknown>;
}

export class JobEvents {
  constructor(private readonly db: SqlDb) {}

  add(jobId: string, e: NewEvent): JobEvent {
    const id = newId("ftevent");
    const step = typeof e.data?.step === "number" ? e.data.step : null;
    this.db
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
      this.db.prepare("SELECT * FROM job_events WHERE id = ?").get(id) as EventRow,
    );
  }

  /** Events in the order they happened, after the event with sequence number `after`. */
  list(jobId: string, opts: { after?: number; limit?: number } = {}): JobEvent[] {
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
    for (const e of this.list(jobId, { limit: 1_000_000 })) {
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
}
