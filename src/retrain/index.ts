/**
 * Retraining a model name: accepted reviews not used before become a new dataset version (with
 * lineage), mixed with a sample of the original training data, and a job continues from the
 * version in use; its gate (src/jobs/recipe/gate.ts) decides the promotion.
 */
export {
  exampleLine,
  makeRetrainDataset,
  markRetrainUsed,
  type RetrainDatasets,
  storeRetrainDatasets,
} from "./dataset.ts";
export { DEFAULT_HELD_OUT_SHARE, MIN_SAMPLE, planRetrain, planView, splitItems } from "./plan.ts";
export { type StartedRetrain, type StartRetrainOptions, startRetrain } from "./start.ts";
export type { OriginalHeldOut, Plan, RetrainOptions, RetrainServices } from "./types.ts";
