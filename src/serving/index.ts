export type { ChatEngine, ServingInfo } from "./chat-engine.ts";
export {
  type Classification,
  ClassifyBatcher,
  type ClassifyOnce,
  type ClassifyResult,
} from "./classify.ts";
export { classificationTexts } from "./classify-input.ts";
export { type ExportGguf, GgufCache, type GgufCopy, writesAnswers } from "./gguf-cache.ts";
export {
  type Choice,
  type CountTokensRequest,
  type FinishReason,
  type GenerateEvent,
  type GenerateRequest,
  InferenceEngine,
  type InferenceEngineOptions,
} from "./inference.ts";
export { pytorchChat, ServingRouter, type ServingRouterOptions } from "./router.ts";
export { LLAMA_DEFAULTS, type LlamaServing, llamaServingFromEnv } from "./settings.ts";
