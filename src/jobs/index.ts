export { checkpointKept, isCheckpointRef, resolveCheckpoint } from "./checkpoints.ts";
export {
  AUTO_SPLIT_MIN,
  type CreateJobOptions,
  createJob,
  describeSpec,
  planSpec,
} from "./create.ts";
export { followJob } from "./follow.ts";
export { type FineTunePlan, measureData, planFineTune } from "./plan.ts";
export { latestCheckpoint, MAX_ATTEMPTS, runDir } from "./run.ts";
export { JobStore } from "./store.ts";
export type { Job, JobCheckpoint, JobResult, JobSpec, ValidationPlan } from "./types.ts";
export { DEFAULT_LEASE_MS, Worker, type WorkerOptions, workersRunning } from "./worker.ts";
