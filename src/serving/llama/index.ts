export { LlamaEngine } from "./engine.ts";
export type { LlamaChatEngine, LlamaEngineOptions } from "./types.ts";
