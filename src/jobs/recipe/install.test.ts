import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isTailorError } from "../../errors/index.ts";
import { ModelRegistry } from "../../models/index.ts";
import type { Job } from "../types.ts";
import type { RunContext } from "./context.ts";
import { install } from "./install.ts";
import type { PreparedRun } from "./prepare.ts";

test("install: renames the folder into place; a model the same job installed before a crash stays; another job's is refused", (t) => {
  const home = mkdtempSync(join(tmpdir(), "tailor-install-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const models = new ModelRegistry(home);
  mkdirSync(models.dir, { recursive: true });
  const ctx = { services: { models } } as unknown as RunContext;
  const run = { dir: join(home, "runs", "r") } as PreparedRun;
  const job = (id: string) => ({ id, model_name: "support" }) as Job;
  const trained = (id: string) => {
    const dir = join(models.dir, `.tmp-${id}-1-0123456789ab`);
    mkdirSync(dir);
    models.writeManifest(dir, {
      kind: "fine_tuned",
      name: "support",
      created_at: 1,
      base: {
        name: "smollm2-135m-instruct",
        source: { kind: "builtin", name: "smollm2-135m-instruct" },
      },
      training: {
        job_id: id,
        train_file: "ds-0123456789abcdef",
        train_examples: 10,
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
    writeFileSync(join(dir, "adapter_model.safetensors"), id);
    return dir;
  };

  const first = trained("ftjob-a");
  const path = install(job("ftjob-a"), run, first, ctx);
  assert.equal(path, models.modelDir("support"));
  assert.ok(!existsSync(first));
  assert.deepEqual(readdirSync(path).sort(), ["adapter_model.safetensors", "tailor-model.json"]);

  // the same job run again after a crash between the rename and its end: the installed model stays
  const again = trained("ftjob-a");
  assert.equal(install(job("ftjob-a"), run, again, ctx), path);
  assert.equal(models.get("support")?.manifest?.kind, "fine_tuned");

  // another job with the same model name: refused, the installed model untouched
  const other = trained("ftjob-b");
  assert.throws(
    () => install(job("ftjob-b"), run, other, ctx),
    (e) => isTailorError(e) && e.code === "model_exists",
  );
  const m = models.get("support")?.manifest;
  assert.equal(m?.kind === "fine_tuned" ? m.training.job_id : null, "ftjob-a");
});
