/**
 * The llama.cpp engine's surface (src/serving/llama/), as the router (src/serving/router.ts) uses it.
 * The engine answers from a GGUF file the router names; everything else in the request is the
 * PyTorch engine's GenerateRequest, so the router can send one request to either.
 */
import type { CountTokensRequest, GenerateEvent, GenerateRequest } from "../inference.ts";

export interface LlamaEngineOptions {
  /** CPU threads for llama.cpp (default: the machine's cores). */
  threads?: number | undefined;
  /** Requests answered at once, as sequences of one context per model (default 8). */
  sequences?: number | undefined;
  /** Requests waiting beyond those; one more is refused with `rate_limited` (default 32). */
  maxQueue?: number | undefined;
  /** Models kept loaded; the least recently used is unloaded (default 2). */
  maxModels?: number | undefined;
  onLog?: ((line: string) => void) | undefined;
}

export interface LlamaChatEngine {
  /**
   * Why llama.cpp cannot answer this request (functions offered, ...), or null when it can. The
   * router sends such requests to the PyTorch engine.
   */
  unsupported(req: GenerateRequest): string | null;
  /** As InferenceEngine.generate, from the GGUF file `gguf` (base and adapterDir are ignored). */
  generate(
    gguf: string,
    req: GenerateRequest,
    opts?: { signal?: AbortSignal | undefined; stream?: boolean | undefined },
  ): AsyncGenerator<GenerateEvent, void, undefined>;
  /** Prompt tokens with the GGUF's own tokenizer and chat template. */
  countTokens(
    gguf: string,
    req: CountTokensRequest,
    opts?: { signal?: AbortSignal | undefined },
  ): Promise<number>;
  close(): Promise<void>;
}
