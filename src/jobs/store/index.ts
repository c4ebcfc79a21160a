import { isResumable, isTerminalStatus, type JobStatus } from "../../../protocol/index.ts";
import { TailorError } from "../../errors/index.ts";
import type { SqlDb } from "../../store/sql.ts";
import type { Job } from "../types.ts";
import { JobEvents, type NewEvent } from "./events.ts";
import { JobNodes } from "./nodes.ts";
import { JobQueue } from "./queue.ts";
import { fromRow, type JobRow, now } from "./rows.ts";

export type { NewEvent } from "./events.ts";
export type { NodeSlot } from "./nodes.ts";
export type { LiveWorker, RunEnd, WorkerOffers } from "./queue.ts";
export { newId } from "./rows.ts";

/**
 * Jobs in TAILOR_HOME/tailor.db: their rows and states here, their events and checkpoints in
 * `events`, the workers' queue and leases in `queue`. Every change of state is one transaction.
 */
export class JobStore {
  readonly events: JobEvents;
  readonly queue: JobQueue;
  /** The machines a job that spans several runs on. */
  readonly nodes: JobNodes;

  constructor(private readonly db: SqlDb) {
    this.events = new JobEvents(db);
    this.queue = new JobQueue(db, this, this.events);
    this.nodes = new JobNodes(db, (id) => this.get(id));
  }

  insert(job: Omit<Job, "worker" | "engine_pid" | "attempts" | "cancel_requested">): Job {
    this.db
      .prepare(
        `INSERT INTO jobs (id, status, created_at, owner, base, model_name, training_file, validation_file, spec_json, needs_gpu, nodes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
        job.spec.gpu ? 1 : 0,
        job.spec.nodes ?? 1,
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
         WHERE (CAST(@owner AS TEXT) IS NULL OR owner = @owner)
           AND (CAST(@after_created AS BIGINT) IS NULL OR created_at < @after_created
                OR (created_at = @after_created AND id < @after_id))
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
      this.events.add(id, event);
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
           finished_at = CASE WHEN ? = 1 THEN ? ELSE finished_at END WHERE id = ?`,
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
          this.events.add(id, {
            type: "message",
            message: "cancel requested; stopping at the next step",
          });
        } else {
          this.setStatus(id, "cancelled");
          this.events.add(id, { type: "cancelled", message: "cancelled before it started" });
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
        if (!isResumable(job.status)) {
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
        this.events.add(id, { type: "message", message: "resume requested; queued again" });
        return this.get(id);
      })
      .immediate();
  }
}
