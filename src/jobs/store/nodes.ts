/**
 * The machines one job spans (`nodes` > 1): the worker that claimed the job is node 0 and names the
 * address and port of the run's rendezvous (torchrun's static one: node 0 hosts it); workers on other
 * machines join as nodes 1..M-1 of the job's current attempt, each under a lease of its own. A new
 * attempt (after a crash) starts from an empty list, so a node of an earlier attempt never joins it.
 */
import { hostname } from "node:os";
import type { SqlDb } from "../../store/sql.ts";
import type { Job } from "../types.ts";

export interface NodeSlot {
  jobId: string;
  rank: number;
  attempt: number;
  /** Node 0's rendezvous: where the other nodes' processes connect. */
  address: string;
  port: number;
}

export class JobNodes {
  constructor(
    private readonly db: SqlDb,
    private readonly get: (id: string) => Job,
  ) {}

  /** Node 0 (the job's worker) opens the attempt: earlier nodes are dropped, its rendezvous named. */
  open(job: Job, worker: string, address: string, port: number, leaseMs: number): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM job_nodes WHERE job_id = ?").run(job.id);
      this.db
        .prepare(
          `INSERT INTO job_nodes (job_id, node_rank, attempt, worker, host, address, port, lease_expires_ms)
           VALUES (?, 0, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          job.id,
          job.attempts,
          worker,
          hostname().slice(0, 100),
          address,
          port,
          Date.now() + leaseMs,
        );
    })();
  }

  /**
   * Joins a running job that still needs a machine, as its lowest free node; null when none does.
   * A node whose lease expired (its worker died) frees its place.
   */
  join(worker: string, leaseMs: number, gpus: number): { job: Job; slot: NodeSlot } | null {
    return this.db
      .transaction(() => {
        const t = Date.now();
        this.db
          .prepare("DELETE FROM job_nodes WHERE node_rank > 0 AND lease_expires_ms < ?")
          .run(t);
        const row = this.db
          .prepare(
            `SELECT j.id, j.nodes, n.attempt, n.address, n.port FROM jobs j
               JOIN job_nodes n ON n.job_id = j.id AND n.node_rank = 0 AND n.attempt = j.attempts
              WHERE j.status = 'running' AND j.nodes > 1 AND j.lease_expires_ms > @t
                AND j.cancel_requested = 0 AND (j.needs_gpu = 0 OR CAST(@gpus AS INTEGER) > 0)
                AND (SELECT COUNT(*) FROM job_nodes m WHERE m.job_id = j.id) < j.nodes
              ORDER BY j.created_at, j.id LIMIT 1`,
          )
          .get({ t, gpus }) as
          | { id: string; nodes: number; attempt: number; address: string; port: number }
          | undefined;
        if (!row) return null;
        const taken = new Set(
          (
            this.db.prepare("SELECT node_rank FROM job_nodes WHERE job_id = ?").all(row.id) as {
              node_rank: number;
            }[]
          ).map((r) => Number(r.node_rank)),
        );
        let rank = 1;
        while (taken.has(rank)) rank++;
        const added = this.db
          .prepare(
            `INSERT INTO job_nodes (job_id, node_rank, attempt, worker, host, lease_expires_ms)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, node_rank) DO NOTHING`,
          )
          .run(row.id, rank, row.attempt, worker, hostname().slice(0, 100), t + leaseMs);
        if (added.changes !== 1) return null;
        const slot = {
          jobId: row.id,
          rank,
          attempt: Number(row.attempt),
          address: row.address,
          port: Number(row.port),
        };
        return { job: this.get(row.id), slot };
      })
      .immediate();
  }

  /**
   * Renews a node's lease; false once it is no longer wanted: the job ended, was cancelled, or went
   * on to another attempt (node 0 died or a node failed), or the node lost its place.
   */
  heartbeat(slot: NodeSlot, worker: string, leaseMs: number): boolean {
    const renewed = this.db
      .prepare(
        `UPDATE job_nodes SET lease_expires_ms = ?
          WHERE job_id = ? AND node_rank = ? AND worker = ? AND attempt = ?`,
      )
      .run(Date.now() + leaseMs, slot.jobId, slot.rank, worker, slot.attempt);
    if (renewed.changes !== 1) return false;
    const job = this.get(slot.jobId);
    return job.status === "running" && job.attempts === slot.attempt && !job.cancel_requested;
  }

  leave(slot: NodeSlot, worker: string): void {
    this.db
      .prepare("DELETE FROM job_nodes WHERE job_id = ? AND node_rank = ? AND worker = ?")
      .run(slot.jobId, slot.rank, worker);
  }

  /** The nodes of a job's current attempt, node 0 first. */
  list(jobId: string): { rank: number; worker: string; host: string }[] {
    return (
      this.db
        .prepare(
          "SELECT node_rank AS rank, worker, host FROM job_nodes WHERE job_id = ? ORDER BY node_rank",
        )
        .all(jobId) as { rank: number; worker: string; host: string }[]
    ).map((r) => ({ ...r, rank: Number(r.rank) }));
  }
}
