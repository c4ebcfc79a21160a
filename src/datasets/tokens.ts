import { engineResult } from "../engine/index.ts";
import { ModelRegistry } from "../models/index.ts";
import type { TokenCounter } from "./check.ts";

/** Token counts from the engine, with the base model's own tokenizer and chat template. */
export function engineTokenCounter(base: string, home?: string): TokenCounter {
  const source = new ModelRegistry(home).resolveBase(base).source;
  return async (file, { measureSpeed }) => {
    const r = await engineResult(
      "count-tokens",
      { base: source, file, measure_speed: measureSpeed },
      "token_counts",
    );
    return {
      counts: r.counts,
      contextLength: r.context_length,
      tokensPerSecond: r.tokens_per_second,
    };
  };
}
