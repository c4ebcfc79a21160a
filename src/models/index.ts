export { type BaseModelCard, baseModelCards } from "./catalog.ts";
export { contextLength, DEFAULT_CONTEXT_LENGTH } from "./context-length.ts";
export { type GenerateOptions, generateText } from "./generate.ts";
export { tailorHome } from "./home.ts";
export { MANIFEST_FILE, ModelManifest, ModelName, type TrainingSummary } from "./manifest.ts";
export { describeSource, type ModelEntry, ModelRegistry, type ResolvedModel } from "./registry.ts";
export { estimateParameters } from "./size.ts";
