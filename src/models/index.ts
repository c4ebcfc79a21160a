export { type ModelAccess, ModelAccessControl, type ModelJobs, ModelShares } from "./access.ts";
export { type BaseModelCard, baseModelCards } from "./catalog.ts";
export { type CheckpointRef, parseCheckpointRef } from "./checkpoint-ref.ts";
export {
  CLASSIFIER_FILE,
  type ClassifierModel,
  classifierOf,
  refuseClassifier,
  requireClassifier,
  resolveClassifier,
} from "./classifier.ts";
export { contextLength, DEFAULT_CONTEXT_LENGTH } from "./context-length.ts";
export { createTinyModel, type TinyModel } from "./create-tiny.ts";
export { type GenerateOptions, generateText } from "./generate.ts";
export { tailorHome } from "./home.ts";
export { MANIFEST_FILE, ModelManifest, ModelName, type TrainingSummary } from "./manifest.ts";
export {
  ModelNames,
  type NamedModels,
  type NameResolution,
  parseNameRef,
} from "./names/index.ts";
export { describeSource, type ModelEntry, ModelRegistry, type ResolvedModel } from "./registry.ts";
export { estimateParameters } from "./size.ts";
