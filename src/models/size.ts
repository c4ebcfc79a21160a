import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_MODELS, type ModelSource } from "../../protocol/index.ts";

/**
 * The parameter count of a base model when it can be told without loading it: built-ins know theirs,
 * a Hugging Face folder's config.json gives the shape of a decoder. Null when unknown (GGUF, Hub).
 */
export function estimateParameters(source: ModelSource): number | null {
  if (source.kind === "builtin") {
    return source.name in BUILTIN_MODELS
      ? BUILTIN_MODELS[source.name as keyof typeof BUILTIN_MODELS].parameters
      : null;
  }
  if (source.kind !== "hf_dir") return null;
  const file = join(source.path, "config.json");
  if (!existsSync(file)) return null;
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return null; // the engine reports a broken config when it loads the model
  }
  const num = (k: string) => (typeof c[k] === "number" ? (c[k] as number) : null);
  const h = num("hidden_size");
  const layers = num("num_hidden_layers");
  const vocab = num("vocab_size");
  if (h === null || layers === null || vocab === null) return null;
  const inter = num("intermediate_size") ?? 4 * h;
  const heads = num("num_attention_heads") ?? 1;
  const kvHeads = num("num_key_value_heads") ?? heads;
  const kv = (2 * h * h * kvHeads) / heads;
  const perLayer = 2 * h * h + kv + 3 * h * inter;
  const embeddings = vocab * h * (c.tie_word_embeddings === false ? 2 : 1);
  return Math.round(layers * perLayer + embeddings);
}
