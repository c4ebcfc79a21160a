/** How models do in use: usage, feedback, flags and drift, day by day, and a summary in words. */
export { dayOf, dayRange } from "./counts.ts";
export { DRIFT_PERCENTILE, type DriftBasis, DriftIndex, DriftIndexes } from "./drift.ts";
export {
  DEFAULT_DAYS,
  type HealthDeps,
  MAX_DAYS,
  ModelHealth,
  openHealth,
  type ReportOptions,
} from "./report.ts";
export { modelScope, type NameLookup, nameScope, type Scope, scopeOf } from "./scope.ts";
export { summarize } from "./summary.ts";
export {
  questionsIn,
  StoredTraining,
  type TrainingQuestions,
  type TrainingSource,
} from "./training.ts";
export { type Answered, questionOf, UsageLog, type UsageRecord } from "./usage.ts";
