export {
  type CheckOptions,
  checkData,
  MIN_EXAMPLES,
  RECOMMENDED_EXAMPLES,
  type TokenCounter,
} from "./check.ts";
export * from "./groups/index.ts";
export { loadExamples, toChatJsonl } from "./load.ts";
export { type DataRecord, type Example, readRecords } from "./read/index.ts";
export type { DataReport, Issue, LabelSummary, PiiIssue } from "./report.ts";
export { type AddOptions, DATASET_ID, DatasetStore, type DatasetVersion } from "./store.ts";
export { engineTokenCounter } from "./tokens.ts";
