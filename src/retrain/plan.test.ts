import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ReviewItem } from "../../protocol/review.ts";
import { runDir } from "../jobs/index.ts";
import { retrainHome, supportLines } from "./__fixtures__/retrain.ts";
import { planRetrain, splitItems } from "./plan.ts";

const items = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `rev_${i}` }) as ReviewItem);

test("held out for the gate: a quarter, at least one from two on, none of one, never all", () => {
  const held = (n: number, share = 0.25) => splitItems(items(n), share).heldOut.length;
  assert.deepEqual(
    [1, 2, 3, 4, 8, 10, 40].map((n) => held(n)),
    [0, 1, 1, 1, 2, 3, 10],
  );
  assert.equal(held(2, 0.9), 1, "one is always left to train on");
  assert.equal(held(8, 0), 0, "share 0 holds none out");
  const a = splitItems(items(12), 0.25);
  const b = splitItems([...items(12)].reverse(), 0.25);
  assert.deepEqual(
    a.heldOut.map((i) => i.id).sort(),
    b.heldOut.map((i) => i.id).sort(),
    "the same items are held out whatever the order",
  );
  assert.deepEqual(
    a.train.map((i) => i.id),
    items(12)
      .map((i) => i.id)
      .filter((id) => !a.heldOut.some((h) => h.id === id)),
    "the rest in their order",
  );
});

describe("planRetrain", () => {
  let h: ReturnType<typeof retrainHome>;
  before(() => {
    h = retrainHome();
  });
  after(() => h.close());

  test("refuses a name with no accepted reviews since its last retrain, and bad options", async () => {
    const { model } = await h.tuned("quiet-model", supportLines(12));
    h.svc.modelNames.create("quiet", "alice", model, "alice", "first version");
    // a pending item and a rejected one are not accepted reviews
    const pending = h.svc.review.file({
      source: "completion",
      source_id: "chatcmpl-pending",
      message_id: null,
      model: "quiet",
      resolved_model: model,
      owner: "alice",
      question: [{ role: "user", content: "Hello?" }],
      answer: "gibberish",
      feedback: { rating: "down", wrong: true, comment: null, correction: "Hello!" },
    });
    assert.equal(pending.status, "pending");
    assert.throws(() => planRetrain(h.svc, "quiet"), {
      code: "conflict",
      message:
        "no accepted reviews since the last retrain of quiet: review some first: tailor review list",
    });
    assert.throws(() => planRetrain(h.svc, "nobody"), { code: "not_found" });
    h.accepted("quiet", model, 2);
    assert.throws(
      () => planRetrain(h.svc, "quiet", { heldOutShare: 1.5 }),
      (e: unknown) => {
        const err = e as { code: string; details: { field: string }; message: string };
        assert.equal(err.code, "invalid_argument");
        assert.equal(err.details.field, "held_out_share");
        assert.match(err.message, /between 0 and 0\.9/);
        return true;
      },
    );
    assert.throws(() => planRetrain(h.svc, "quiet", { sample: -1 }), {
      code: "invalid_argument",
    });
  });

  test("accepted items split for the gate, a seeded sample of the original data, its validation file", async () => {
    const { model, job } = await h.tuned("support-model", supportLines(40), supportLines(5, "Val"));
    h.svc.modelNames.create("support", "alice", model, "alice", "first version");
    const accepted = h.accepted("support", model, 8);
    const plan = planRetrain(h.svc, "support");
    assert.deepEqual(plan.current, { version: 1, model });
    assert.equal(plan.nextVersion, 2);
    assert.equal(plan.heldOut.length, 2);
    assert.equal(plan.train.length, 6);
    assert.deepEqual(
      [...plan.train, ...plan.heldOut].map((i) => i.id).sort(),
      accepted.map((i) => i.id).sort(),
    );
    // max(2 x 6, 20) of the 40 original examples, drawn from the job's training data
    assert.equal(plan.sample.dataset, job.training_file);
    assert.equal(plan.sample.lines.length, 20);
    const pool = new Set(supportLines(40));
    assert.ok(plan.sample.lines.every((l) => pool.has(l)));
    assert.equal(new Set(plan.sample.lines).size, 20);
    assert.deepEqual(plan.originalHeldOut, {
      kind: "dataset",
      id: job.validation_file,
      examples: 5,
    });
    assert.equal(plan.refusal, null);
    assert.deepEqual(plan.notes.slice(0, 2), [
      "6 accepted corrections to train on, 2 held out for the gate",
      `20 original examples of ${job.training_file} mixed in, so old skills are kept`,
    ]);
    assert.ok(
      plan.notes.includes(
        `the gate compares version 1 and the new model on 5 original held-out examples (${job.validation_file}), where it must be no worse, and on the 2 corrections held out, where it must do better`,
      ),
      plan.notes.join("\n"),
    );
    // made again: the same split and the same sample
    const again = planRetrain(h.svc, "support");
    assert.deepEqual(
      again.heldOut.map((i) => i.id),
      plan.heldOut.map((i) => i.id),
    );
    assert.deepEqual(again.sample.lines, plan.sample.lines);
    // --sample: capped by what exists, 0 for none (then too few to train on)
    const all = planRetrain(h.svc, "support", { sample: 100 });
    assert.equal(all.sample.lines.length, 40);
    assert.ok(all.notes.some((n) => n.includes("(100 asked for: that is all there are)")));
    const none = planRetrain(h.svc, "support", { sample: 0 });
    assert.equal(none.sample.lines.length, 0);
    assert.match(
      none.refusal ?? "",
      /^6 accepted corrections and 0 original examples make 6 training examples; fine-tuning needs at least 10: accept more reviews first \(tailor review list\), or mix in more original examples \(--sample\)$/,
    );
  });

  test("one accepted item: trained on, none held out, and the plan says the gate cannot promote", async () => {
    const { model } = await h.tuned("single-model", supportLines(12));
    h.svc.modelNames.create("single", "alice", model, "alice", "first version");
    h.accepted("single", model, 1);
    const plan = planRetrain(h.svc, "single");
    assert.equal(plan.train.length, 1);
    assert.equal(plan.heldOut.length, 0);
    assert.equal(plan.sample.lines.length, 12, "max(2, 20) capped by the 12 there are");
    assert.ok(
      plan.notes.includes(
        "only 1 accepted correction: it is trained on and none is held out, so the gate has no corrections to compare the versions on and will not promote the new version; accept at least 2 to let the gate judge",
      ),
    );
    assert.ok(
      plan.notes.some((n) => n.startsWith("single-model was trained without held-out examples")),
    );
  });

  test("a base model as the current version: no sample, no original held-out set", () => {
    h.svc.modelNames.create("basic", "alice", "tiny", "alice", "the base as it is");
    h.accepted("basic", "tiny", 4);
    const plan = planRetrain(h.svc, "basic");
    assert.equal(plan.sample.dataset, null);
    assert.deepEqual(plan.sample.lines, []);
    assert.equal(plan.originalHeldOut, null);
    assert.ok(
      plan.notes.includes(
        "tiny is a base model: there are no original examples to mix in, and no original held-out set to compare on",
      ),
    );
    assert.match(plan.refusal ?? "", /^3 accepted corrections and 0 original examples/);
  });

  test("a job's automatic split is the original held-out set, and none of it is sampled", async () => {
    const lines = supportLines(40, "Split question");
    const { model, job } = await h.tuned("split-model", lines);
    assert.equal(job.spec.validation.source, "auto_split");
    // as the job's run writes it (src/jobs/recipe/prepare.ts): its held-out lines, in the run folder
    const held = lines.slice(0, job.spec.validation.examples);
    mkdirSync(runDir(h.home, job.id), { recursive: true });
    writeFileSync(join(runDir(h.home, job.id), "val.jsonl"), h.jsonl(held));
    h.svc.modelNames.create("split", "alice", model, "alice", "first version");
    h.accepted("split", model, 4);
    const plan = planRetrain(h.svc, "split", { sample: 100 });
    assert.deepEqual(plan.originalHeldOut, {
      kind: "file",
      path: join(runDir(h.home, job.id), "val.jsonl"),
      examples: held.length,
      what: `the ${held.length} examples ${job.id} held out`,
    });
    assert.equal(plan.sample.lines.length, 40 - held.length);
    assert.ok(plan.sample.lines.every((l) => !held.includes(l)));
  });

  test("every version's accepted answers count; original examples that ask what a correction answers are left out of the sample", async () => {
    const lines = supportLines(12, "Customer question");
    const { model } = await h.tuned("fix-model", lines);
    h.svc.modelNames.create("fix", "alice", model, "alice", "first version");
    // the fixture's questions are "Customer question i?" after a system message: make two match
    const asked = [0, 1].map((i) =>
      JSON.stringify({
        messages: [
          { role: "system", content: "You answer for Northwind Bikes." },
          { role: "user", content: `Customer question ${i}?` },
          { role: "assistant", content: `The old answer ${i}.` },
        ],
      }),
    );
    const { model: model2 } = await h.tuned("fix-model-2", [...lines, ...asked]);
    h.svc.modelNames.add("fix", model2, {
      who: "alice",
      why: "more examples",
      origin: "added",
      promote: true,
    });
    // accepted answers of both versions count
    const old = h.accepted("fix", model, 2, { from: 2 });
    const recent = h.accepted("fix", model2, 2);
    const plan = planRetrain(h.svc, "fix", { sample: 100 });
    assert.equal(plan.current.version, 2);
    assert.deepEqual(
      [...plan.train, ...plan.heldOut].map((i) => i.id).sort(),
      [...old, ...recent].map((i) => i.id).sort(),
    );
    assert.equal(plan.sample.lines.length, 12);
    assert.ok(asked.every((l) => !plan.sample.lines.includes(l)));
    assert.ok(
      plan.notes.includes(
        "2 original examples asking what a correction answers left out (the correction replaces the old answer)",
      ),
    );
  });
});
