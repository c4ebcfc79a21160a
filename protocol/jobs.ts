/**
 * Fine-tuning jobs: statuses and event types, defined once here for the store, the CLI, the server
 * and the studio. The statuses are OpenAI's, so the API can hand them out unchanged.
 */
import { z } from "zod";

export const JOB_STATUSES = [
  "validating_files",
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
] as const;
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;

/** A job in one of these never changes again (except `resume`, which re-queues a stopped job). */
export const TERMINAL_JOB_STATUSES = [
  "succeeded",
  "failed",
  "cancelled",
] as const satisfies readonly JobStatus[];

export function isTerminalStatus(status: JobStatus): boolean {
  return (TERMINAL_JOB_STATUSES as readonly string[]).includes(status);
}

/**
 * What a job's event log holds: `message` (plain progress in words), the engine's `metrics`,
 * `evaluation` and `checkpoint`, and exactly one terminal event per run of the job.
 */
export const JOB_EVENT_TYPES = [
  "message",
  "metrics",
  "evaluation",
  "checkpoint",
  "completed",
  "failed",
  "cancelled",
] as const;
export const JobEventType = z.enum(JOB_EVENT_TYPES);
export type JobEventType = z.infer<typeof JobEventType>;

export const TERMINAL_JOB_EVENT_TYPES = [
  "completed",
  "failed",
  "cancelled",
] as const satisfies readonly JobEventType[];

export const JobEvent = z.object({
  object: z.literal("fine_tuning.job.event"),
  id: z.string(),
  job_id: z.string(),
  /** Order within the store; `after` in follow and list calls refers to it. */
  seq: z.number().int().positive(),
  created_at: z.number().int(),
  level: z.enum(["info", "warn", "error"]),
  type: JobEventType,
  message: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type JobEvent = z.infer<typeof JobEvent>;
