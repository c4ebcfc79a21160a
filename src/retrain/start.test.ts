import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runDir } from "../jobs/index.ts";
import { REVIEWER, retrainHome, supportLines } from "./__fixtures__/retrain.ts";
import { planRetrain } from "./plan.ts";
import { startRetrain } from "./start.ts";

const lines = (text: string) => text.split("\n").filter(Boolean);

describe("startRetrain", () => {
  let h: ReturnType<typeof retrainHome>;
  before(() => {
    h = retrainHome();
  });
  after(() => h.close());

  test("the dataset is exactly the accepted answers and the sample; lineage; the job continues from the current model", async () => {
    const { model, job: first } = await h.tuned(
      "support-model",
      supportLines(30),
      supportLines(5, "Val"),
    );
    h.svc.modelNames.create("support", "alice", model, "alice", "first version");
    const corrected = h.accepted("support", model, 5);
    const edited = h.accepted("support", model, 3, { from: 5, edit: true });
    const datasetsBefore = h.svc.datasets.list().length;

    // a dry run stores nothing and marks nothing
    const dry = await startRetrain(h.svc, "support", { requestedBy: "alice", dryRun: true });
    assert.equal(dry.job, null);
    assert.equal(dry.plan.dry_run, true);
    assert.equal(dry.plan.dataset_id, null);
    assert.equal(h.svc.datasets.list().length, datasetsBefore);
    assert.equal(planRetrain(h.svc, "support").train.length, 6);

    const { plan, job } = await startRetrain(h.svc, "support", {
      requestedBy: "alice",
      owner: "alice",
      hyperparameters: { epochs: 7 },
    });
    assert.ok(job && plan.dataset_id && plan.held_out_dataset_id);
    assert.equal(plan.job_id, job.id);
    assert.equal(plan.accepted.train.length, 6);
    assert.equal(plan.accepted.held_out.length, 2);
    assert.equal(plan.original_sample, 20);

    // training: every accepted item trained on with its final answer (the edit when edited), then the sample
    const byId = new Map([...corrected, ...edited].map((i) => [i.id, i]));
    const expected = plan.accepted.train.map((id) => {
      const item = byId.get(id);
      assert.ok(item?.final_answer);
      return JSON.stringify({
        messages: [...item.question, { role: "assistant", content: item.final_answer }],
      });
    });
    const stored = lines(h.svc.datasets.cat(plan.dataset_id)).map((l) =>
      JSON.stringify(JSON.parse(l)),
    );
    assert.deepEqual(stored.slice(0, 6), expected);
    const original = new Set(supportLines(30));
    assert.equal(stored.length, 26);
    assert.ok(stored.slice(6).every((l) => original.has(l)));
    assert.ok(
      stored.some((l) => l.includes("The edited answer")),
      "an edited item teaches the edit",
    );
    assert.ok(!stored.some((l) => l.includes("gibberish")), "never the model's wrong answer");
    // held out: the other two, as their own dataset version
    const held = lines(h.svc.datasets.cat(plan.held_out_dataset_id));
    assert.equal(held.length, 2);
    for (const id of plan.accepted.held_out)
      assert.ok(held.some((l) => l.includes(byId.get(id)?.final_answer ?? "?")));

    // lineage: which completion, who accepted it; the items are used and not offered again
    const lineage = h.svc.review.lineage(plan.dataset_id);
    assert.deepEqual(
      lineage.map((l) => [l.item.id, l.item.source, l.item.source_id, l.accepted_by]),
      plan.accepted.train.map((id) => [id, "completion", byId.get(id)?.source_id, REVIEWER]),
    );
    assert.deepEqual(
      h.svc.review.lineage(plan.held_out_dataset_id).map((l) => l.item.id),
      plan.accepted.held_out,
    );
    assert.equal(h.svc.review.get(plan.accepted.train[0] ?? "").used_in, plan.dataset_id);
    assert.throws(
      () => planRetrain(h.svc, "support"),
      /no accepted reviews since the last retrain/,
    );

    // the job: continues from the current model, validated on its held-out file, with the retrain
    assert.equal(job.status, "queued");
    assert.equal(job.model_name, "support-v2");
    assert.equal(job.base, "tiny");
    assert.equal(job.training_file, plan.dataset_id);
    assert.equal(job.validation_file, first.validation_file);
    assert.equal(job.spec.early_stopping_patience, 0, "no overfitting guard on the old examples");
    assert.match(
      job.spec.validation.note,
      /; the overfitting guard is off \(the model is the last/,
    );
    assert.equal(job.owner, "alice");
    assert.deepEqual(job.spec.parent, { name: model, job_id: first.id });
    assert.equal(job.spec.hyperparameters.epochs, 7);
    assert.equal(job.spec.train_examples, 26);
    assert.deepEqual(job.spec.retrain, {
      name: "support",
      current_version: 1,
      current_model: model,
      held_out_dataset: plan.held_out_dataset_id,
      original_held_out: first.validation_file,
      requested_by: "alice",
    });
    assert.deepEqual(h.svc.jobs.get(job.id).spec.retrain, job.spec.retrain, "stored with the job");
  });

  test("too few examples: refused before anything is stored or marked used", async () => {
    h.svc.modelNames.create("basic", "alice", "tiny", "alice", "the base as it is");
    const items = h.accepted("basic", "tiny", 4);
    const before = h.svc.datasets.list().length;
    await assert.rejects(startRetrain(h.svc, "basic", { requestedBy: "alice" }), {
      code: "data_invalid",
      message:
        "cannot retrain basic: 3 accepted corrections and 0 original examples make 3 training examples; fine-tuning needs at least 10: accept more reviews first (tailor review list)",
    });
    assert.equal(h.svc.datasets.list().length, before);
    assert.ok(items.every((i) => h.svc.review.get(i.id).used_in === null));
  });

  test("a job refused (a LoRA rank its adapter cannot take) leaves the items for the next try", async () => {
    const { model } = await h.tuned("rank-model", supportLines(20));
    h.svc.modelNames.create("rank", "alice", model, "alice", "first version");
    const items = h.accepted("rank", model, 4);
    await assert.rejects(
      startRetrain(h.svc, "rank", { requestedBy: "alice", hyperparameters: { loraRank: 4 } }),
      { code: "invalid_argument", message: /LoRA rank 4 was asked for/ },
    );
    assert.ok(items.every((i) => h.svc.review.get(i.id).used_in === null));
    const { job } = await startRetrain(h.svc, "rank", { requestedBy: "alice" });
    assert.equal(job?.model_name, "rank-v2");
  });

  test("a job's automatic split becomes a dataset version the gate and the new job compare on", async () => {
    const all = supportLines(40, "Split question");
    const { model, job: first } = await h.tuned("split-model", all);
    const held = all.slice(0, first.spec.validation.examples);
    mkdirSync(runDir(h.home, first.id), { recursive: true });
    writeFileSync(join(runDir(h.home, first.id), "val.jsonl"), h.jsonl(held));
    h.svc.modelNames.create("split", "alice", model, "alice", "first version");
    h.accepted("split", model, 1);
    const { plan, job } = await startRetrain(h.svc, "split", { requestedBy: "alice" });
    assert.ok(job && plan.original_held_out);
    assert.equal(plan.held_out_dataset_id, null);
    assert.deepEqual(lines(h.svc.datasets.cat(plan.original_held_out)), held);
    assert.equal(job.validation_file, plan.original_held_out);
    assert.equal(job.spec.retrain?.original_held_out, plan.original_held_out);
    assert.equal(job.spec.retrain?.held_out_dataset, null);
    assert.ok(plan.notes.some((n) => n.startsWith("only 1 accepted correction")));
  });
});
