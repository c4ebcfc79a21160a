/**
 * What answers a chat: the PyTorch engine (InferenceEngine) or llama.cpp (llama/), chosen per model
 * and request by the router (router.ts). Routes, the assistants' turn loop and the CLI's chat depend
 * on this port, not on which engine runs.
 */
import type { CountTokensRequest, GenerateEvent, GenerateRequest } from "./inference.ts";

export interface ChatEngine {
  /** See InferenceEngine.generate: `delta`s, `tool_call_delta`s, then one `result`. */
  generate(
    req: GenerateRequest,
    opts?: { signal?: AbortSignal | undefined; stream?: boolean | undefined },
  ): AsyncGenerator<GenerateEvent, void, undefined>;
  /** Prompt tokens of a conversation with the model's own tokenizer and chat template. */
  countTokens(
    req: CountTokensRequest,
    opts?: { signal?: AbortSignal | undefined },
  ): Promise<number>;
}

/** Which engine answers a model, and why (`GET /v1/models/{id}` shows it). */
export interface ServingInfo {
  engine: "llama.cpp" | "pytorch";
  /** In words: why this engine ("exported to GGUF (f16) for llama.cpp", "llama.cpp is off", ...). */
  reason: string;
  /** The GGUF file llama.cpp answers from, when it does. */
  gguf?: string | undefined;
}
