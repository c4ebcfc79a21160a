/** A job's row in `jobs` and how it reads back (its spec and result checked against their schemas). */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { JobResult, JobSpec, type JobStatus } from "../../../protocol/index.ts";
import { TailorError } from "../../errors/index.ts";
import type { Job } from "../types.ts";

export interface JobRow {
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

export const now = () => Math.floor(Date.now() / 1000);
export const newId = (prefix: string) => `${prefix}-${randomBytes(12).toString("hex")}`;

export function fromRow(r: JobRow): Job {
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
