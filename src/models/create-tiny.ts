import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { engineResult } from "../engine/index.ts";
import { TailorError } from "../errors/index.ts";
import { pauseForTest, tempName } from "../store/index.ts";
import { ModelName } from "./manifest.ts";
import type { ModelRegistry } from "./registry.ts";

export interface TinyModel {
  name: string;
  path: string;
  parameters: number;
  vocab_size: number;
}

/**
 * A tiny random Llama-architecture model with a real tokenizer (for quick tests, offline), made by
 * the engine in a temporary folder and registered as a base model whole or not at all.
 */
export async function createTinyModel(
  registry: ModelRegistry,
  name: string,
  opts: { hiddenSize: number; layers: number; seed: number },
): Promise<TinyModel> {
  const check = ModelName.safeParse(name);
  if (!check.success)
    throw new TailorError({
      code: "invalid_argument",
      message: `model name '${name}': ${check.error.issues[0]?.message}`,
    });
  if (registry.exists(name))
    throw new TailorError({
      code: "model_exists",
      message: `a model named '${name}' already exists`,
    });
  mkdirSync(registry.dir, { recursive: true });
  // hidden and named after this process: if it is killed, the store's next opening removes it
  const tmp = join(registry.dir, tempName(`.tmp-create-${name}`));
  try {
    const created = await engineResult(
      "create-tiny",
      { out_dir: tmp, seed: opts.seed, hidden_size: opts.hiddenSize, layers: opts.layers },
      "model_created",
    );
    const path = registry.modelDir(name);
    registry.writeManifest(tmp, {
      kind: "base",
      name,
      created_at: Math.floor(Date.now() / 1000),
      source: { kind: "hf_dir", path },
      description: `tiny random Llama (${created.parameters.toLocaleString("en")} parameters) for tests`,
    });
    pauseForTest("model-made");
    renameSync(tmp, path); // the model appears whole or not at all
    return { name, path, parameters: created.parameters, vocab_size: created.vocab_size };
  } finally {
    if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
  }
}
