/**
 * exportSubject on a real registry folder: a fine-tune's subject (its base, adapter, card folder,
 * the training's system prompt), a base model's, and the refusals of classifiers and encoders.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { TailorError } from "../errors/index.ts";
import { ModelRegistry } from "../models/index.ts";
import { exportSubject } from "./subject.ts";

const home = mkdtempSync(join(tmpdir(), "tailor-export-subject-"));
const models = new ModelRegistry(home);
const tiny = { kind: "hf_dir" as const, path: join(home, "tiny") };
const training = {
  train_file: "ds-1",
  train_examples: 12,
  ...{ epochs: 1, learning_rate: 1e-3, batch_size: 4, lora_rank: 8, lora_alpha: 16, seed: 42 },
  ...{ steps: 3, first_train_loss: 2, final_train_loss: 1, train_seconds: 1 },
};
function fineTuned(name: string, method?: "classify") {
  const folder = models.modelDir(name);
  mkdirSync(folder, { recursive: true });
  models.writeManifest(folder, {
    kind: "fine_tuned",
    name,
    created_at: 1,
    base: { name: "tiny", source: tiny },
    training,
    ...(method ? { method, labels: ["a", "b"] } : {}),
  });
  return folder;
}
mkdirSync(join(home, "models", "tiny"), { recursive: true });
models.writeManifest(join(home, "models", "tiny"), {
  kind: "base",
  name: "tiny",
  created_at: 1,
  source: tiny,
});
const deps = { models, systemPrompt: (m: string) => (m === "support" ? "Be short." : null) };
const refused = (message: RegExp) => (e: unknown) =>
  e instanceof TailorError && e.code === "invalid_argument" && message.test(e.message);

test("a fine-tune: its base, adapter, card folder and the training's system prompt", () => {
  const folder = fineTuned("support");
  assert.deepEqual(exportSubject(deps, models.resolve("support")), {
    name: "support",
    source: tiny,
    adapterDir: folder,
    base: "tiny",
    baseSource: tiny.path,
    cardDir: folder,
    system: "Be short.",
  });
});

test("a base model: itself, no adapter, no card, no system prompt", () => {
  const s = exportSubject(deps, models.resolve("tiny"));
  assert.equal(s.adapterDir, null);
  assert.equal(s.base, "tiny");
  assert.equal(s.cardDir, null);
  assert.equal(s.system, null);
});

test("classifiers and the built-in encoder are refused with the reason and what to use", () => {
  fineTuned("router", "classify");
  assert.throws(
    () => exportSubject(deps, models.resolve("router")),
    refused(/'router' is a classifier.*writes no answers.*tailor classify/),
  );
  assert.throws(
    () => exportSubject(deps, models.resolve("all-minilm-l6-v2")),
    refused(/sentence encoder.*smollm2-135m-instruct/),
  );
});
