/**
 * A fine-tuned model's training and held-out questions as its job used them: a validation file, or
 * the automatic hold-out the job wrote into its run folder (gone: no held-out set); a base model has
 * none. Jobs made with createJob on a real database (not run: the run folder is written as the
 * worker writes it).
 */
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chatLine, cliSandbox } from "../cli/__fixtures__/cli.ts";
import { createJob, runDir } from "../jobs/index.ts";
import { openServices, type Services } from "../services/index.ts";
import { StoredTraining } from "./training.ts";

const { home, tiny, file } = cliSandbox("tailor-training-questions-");
let svc: Services;
const jsonl = (qs: string[]) => `${qs.map((q) => chatLine(q, "An answer.")).join("\n")}\n`;
const qs = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix} ${i}?`);

/** A model made by `jobId` (its manifest, as the worker writes it). */
function install(name: string, jobId: string, trainFile: string): void {
  const folder = svc.models.modelDir(name);
  mkdirSync(folder, { recursive: true });
  svc.models.writeManifest(folder, {
    kind: "fine_tuned",
    name,
    created_at: 0,
    base: { name: "tiny", source: { kind: "hf_dir", path: join(home, "models", "tiny") } },
    training: {
      job_id: jobId,
      train_file: trainFile,
      train_examples: 1,
      epochs: 1,
      learning_rate: 0.01,
      batch_size: 1,
      lora_rank: 8,
      lora_alpha: 16,
      seed: 0,
      steps: 1,
      first_train_loss: 1,
      final_train_loss: 1,
      train_seconds: 1,
    },
  });
}

before(() => {
  tiny();
  svc = openServices(home);
});
after(() => {
  svc.close();
  rmSync(home, { recursive: true, force: true });
});

describe("training questions of a model", () => {
  test("a validation file is the held-out set", async () => {
    const job = await createJob(svc, {
      base: "tiny",
      data: file("train.jsonl", jsonl(qs("train", 12))),
      val: file("val.jsonl", jsonl(qs("held", 10))),
      epochs: 1,
      learningRate: 0.01,
      batchSize: 1,
    });
    assert.equal(job.spec.validation.source, "file");
    install("with-val", job.id, job.training_file);
    const q = new StoredTraining(svc).questions("with-val");
    assert.deepEqual(q?.train, qs("train", 12));
    assert.deepEqual(q?.heldOut, qs("held", 10));
  });

  test("the automatic hold-out from the run folder; gone, none", async () => {
    const job = await createJob(svc, {
      base: "tiny",
      data: file("many.jsonl", jsonl(qs("many", 40))),
      epochs: 1,
      learningRate: 0.01,
      batchSize: 1,
    });
    assert.equal(job.spec.validation.source, "auto_split");
    install("auto", job.id, job.training_file);
    const training = new StoredTraining(svc);
    // before the worker wrote the split (or after the run folder was deleted): all, nothing held out
    assert.deepEqual(training.questions("auto"), {
      train: qs("many", 40),
      heldOut: null,
      source: `dataset ${job.training_file} (its hold-out is gone)`,
    });
    const run = runDir(home, job.id);
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, "train.jsonl"), jsonl(qs("many", 36)));
    writeFileSync(join(run, "val.jsonl"), jsonl(qs("kept back", 4)));
    const q = training.questions("auto");
    assert.equal(q?.train.length, 36);
    assert.deepEqual(q?.heldOut, qs("kept back", 4));
    assert.equal(training.questions("tiny"), null);
    assert.equal(training.questions("no-such-model"), null);
  });
});
