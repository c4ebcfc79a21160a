import type { ChatMessage, EngineMessageOf } from "../../protocol/index.ts";
import { engineResult } from "../engine/index.ts";
import { TailorError } from "../errors/index.ts";
import { refuseClassifier } from "./classifier.ts";
import { ModelRegistry, type ResolvedModel } from "./registry.ts";

export interface GenerateOptions {
  messages: ChatMessage[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  max_tokens?: number;
  stop?: string[];
  seed?: number;
  home?: string;
}

/** One answer from a base or fine-tuned model (the engine loads the base and the adapter). */
export async function generateText(
  model: string | ResolvedModel,
  opts: GenerateOptions,
): Promise<EngineMessageOf<"generation">> {
  const { home, ...sampling } = opts;
  if (opts.top_p !== undefined && (opts.top_p <= 0 || opts.top_p > 1)) {
    throw new TailorError({
      code: "invalid_argument",
      message: `top-p must be above 0 and at most 1, got ${opts.top_p}`,
      details: { field: "top_p" },
    });
  }
  const resolved = typeof model === "string" ? new ModelRegistry(home).resolve(model) : model;
  refuseClassifier(resolved);
  return engineResult(
    "generate",
    {
      base: resolved.source,
      ...(resolved.adapterDir ? { adapter_dir: resolved.adapterDir } : {}),
      ...sampling,
    },
    "generation",
  );
}
