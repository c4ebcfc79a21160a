export {
  type Classification,
  ClassifyBatcher,
  type ClassifyOnce,
  type ClassifyResult,
} from "./classify.ts";
export { classificationTexts } from "./classify-input.ts";
export {
  type Choice,
  type CountTokensRequest,
  type FinishReason,
  type GenerateEvent,
  type GenerateRequest,
  InferenceEngine,
  type InferenceEngineOptions,
} from "./inference.ts";
