export { modelCard, modelCardOf, writeModelCard } from "./card.ts";
export {
  checkpointKept,
  isCheckpointRef,
  modelJobs,
  resolveCheckpoint,
  resolveModelRef,
} from "./checkpoints.ts";
export {
  AUTO_SPLIT_MIN,
  type CreateJobOptions,
  createJob,
  describeSpec,
  planSpec,
} from "./create.ts";
export { followJob } from "./follow.ts";
export {
  createJobFromFiles,
  type FileJobServices,
  type JobFromFilesOptions,
  type PlanFromFilesOptions,
  planFromFiles,
  type UploadedFile,
  type UploadedFiles,
} from "./from-files.ts";
export { fineTunedModelName, suffixOf } from "./naming.ts";
export { countGpus, describeOffers, machineOffers } from "./offers.ts";
export {
  describeParent,
  type Parent,
  type ParentLineage,
  parentLineage,
  type TrainingStart,
  trainingStart,
} from "./parent.ts";
export { type FineTunePlan, measureData, type PlanOptions, planFineTune } from "./plan.ts";
export { PlanCache } from "./plan-cache.ts";
export {
  latestCheckpoint,
  MAX_ATTEMPTS,
  runDir,
  type TestOptions,
  type TestOutcome,
  testModel,
} from "./recipe/index.ts";
export { DEFAULT_CLASSIFIER_BASE } from "./recipe/train-classifier.ts";
export type { JobServices } from "./services.ts";
export type { LiveWorker, WorkerOffers } from "./store/index.ts";
export { JobStore } from "./store/index.ts";
export type {
  Job,
  JobCheckpoint,
  JobResult,
  JobSpec,
  ParentModel,
  TrainingMethod,
  ValidationPlan,
} from "./types.ts";
export { jobView } from "./view.ts";
export { DEFAULT_LEASE_MS, Worker, type WorkerOptions, workersRunning } from "./worker.ts";
