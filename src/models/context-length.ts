import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelSource } from "../../protocol/index.ts";

/** Context windows of the built-in models (their config is inside a GGUF file). */
const BUILTIN_CONTEXT: Record<string, number> = { "smollm2-135m-instruct": 8192 };
/** What is assumed when the model does not say (small enough for any model Tailor runs). */
export const DEFAULT_CONTEXT_LENGTH = 2048;

/** The longest prompt plus answer a model takes, in tokens, from its config where Tailor can read it. */
export function contextLength(source: ModelSource): number {
  if (source.kind === "builtin") return BUILTIN_CONTEXT[source.name] ?? DEFAULT_CONTEXT_LENGTH;
  if (source.kind === "hf_dir") {
    const file = join(source.path, "config.json");
    try {
      if (existsSync(file)) {
        const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
        for (const key of ["max_position_embeddings", "n_positions", "max_sequence_length"]) {
          const v = config[key];
          if (typeof v === "number" && Number.isInteger(v) && v > 0) return Math.min(v, 131_072);
        }
      }
    } catch {
      // unreadable config: the default below
    }
  }
  return DEFAULT_CONTEXT_LENGTH;
}
