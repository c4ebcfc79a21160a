/**
 * Model access through the models domain's port: one checkpoint syntax with both spellings, and a
 * caller learns nothing of another owner's checkpoints. A real registry folder and SQLite file; the
 * jobs behind the port are a small table here (the real ones are tested in src/server/server.test.ts).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Principal } from "../auth/index.ts";
import { TailorError } from "../errors/index.ts";
import { openDb } from "../store/index.ts";
import { ModelAccessControl, type ModelJobs, ModelShares } from "./access.ts";
import { parseCheckpointRef } from "./checkpoint-ref.ts";
import { ModelRegistry } from "./registry.ts";

test("one checkpoint syntax: the API's :ckpt-step-N and the CLI's :step-N name the same step", () => {
  for (const step of ["ckpt-step", "step"]) {
    assert.deepEqual(parseCheckpointRef(`ft:tiny:shop:ab12cd34:${step}-12`), {
      kind: "model",
      model: "ft:tiny:shop:ab12cd34",
      step: 12,
    });
    assert.deepEqual(parseCheckpointRef(`ftjob-0a1b:${step}-3`), {
      kind: "job",
      job: "ftjob-0a1b",
      step: 3,
    });
  }
  assert.deepEqual(parseCheckpointRef("ftckpt-9f"), { kind: "id", id: "ftckpt-9f" });
  for (const plain of ["tiny", "ft:tiny:shop:ab12cd34", "HuggingFaceTB/SmolLM2-135M", "x:step-"])
    assert.equal(parseCheckpointRef(plain), null, plain);
});

function setup() {
  const home = mkdtempSync(join(tmpdir(), "tailor-access-"));
  const registry = new ModelRegistry(home);
  const name = "ft:tiny:shop:ab12cd34";
  const folder = registry.modelDir(name);
  mkdirSync(folder, { recursive: true });
  const source = { kind: "hf_dir" as const, path: join(home, "tiny") };
  registry.writeManifest(folder, {
    kind: "fine_tuned",
    name,
    created_at: 1,
    base: { name: "tiny", source },
    training: {
      job_id: "ftjob-0a1b",
      train_file: "ds-1",
      train_examples: 12,
      epochs: 1,
      learning_rate: 1e-3,
      batch_size: 4,
      lora_rank: 8,
      lora_alpha: 16,
      seed: 42,
      steps: 3,
      first_train_loss: 2,
      final_train_loss: 1,
      train_seconds: 1,
    },
  });
  const asked: string[] = [];
  const jobs: ModelJobs = {
    ownerOf: (id) => (id === "ftjob-0a1b" ? "alice" : null),
    making: () => null,
    checkpoint: (ref) => {
      asked.push(ref);
      return { name: ref, source, adapterDir: join(home, "ckpt") };
    },
  };
  const access = new ModelAccessControl(registry, new ModelShares(openDb(home)), jobs);
  const who = (owner: string, role: Principal["role"] = "member"): Principal => ({
    keyId: `key-${owner}`,
    owner,
    role,
  });
  return { access, asked, name, who };
}

const notFound = (e: unknown) => e instanceof TailorError && e.code === "model_not_found";

test("a checkpoint is its model's: both spellings for the owner, nothing about it for others", () => {
  const { access, asked, name, who } = setup();
  for (const ref of [`${name}:ckpt-step-2`, `${name}:step-2`])
    assert.equal(access.resolve(who("alice"), ref).adapterDir?.endsWith("ckpt"), true, ref);
  assert.deepEqual(asked, [`${name}:ckpt-step-2`, `${name}:step-2`]);

  assert.throws(() => access.resolve(who("bob"), `${name}:ckpt-step-2`), notFound);
  assert.equal(asked.length, 2, "another owner's checkpoints are not even looked up");
  // job and checkpoint ids are the CLI's (this machine's admin); over the API they name no model
  assert.throws(() => access.resolve(who("alice"), "ftjob-0a1b:step-2"), notFound);
  assert.throws(() => access.resolve(who("alice"), "ftckpt-9f"), notFound);
  assert.equal(asked.length, 2);

  access.share(name, true);
  assert.equal(access.resolve(who("bob"), `${name}:step-2`).name, `${name}:step-2`);
});
