import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { NewReviewItem } from "../../protocol/review.ts";
import { ListNameFinder } from "../safety/__fixtures__/list-names.ts";
import { storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { masked } from "./pii.ts";
import { ReviewQueue } from "./queue.ts";

const withPii = (id: string): NewReviewItem => ({
  source: "conversation",
  source_id: "conv_1",
  message_id: id,
  model: "support",
  resolved_model: "ft:v1",
  owner: "alice",
  question: [
    { role: "user", content: "I am Dana Reyes, write to dana.reyes@example.com about my bike." },
  ],
  answer: "Sure Dana Reyes, we will write to dana.reyes@example.com today.",
  feedback: {
    rating: "down",
    wrong: true,
    comment: "call me on (415) 555-2671 instead",
    correction: "We will call you on (415) 555-2671.",
  },
});

// on both backends: rescan and redact write only what they read (IS NOT DISTINCT FROM, row locks)
for (const backend of storeBackends())
  describe(`review item personal data on ${backend.name}`, () => {
    const queue = () =>
      new ReviewQueue(backend.open(mkdtempSync(join(tmpdir(), "tailor-review-pii-"))).db);

    test("personal data is found with masked excerpts, and redacted everywhere with shared placeholders", async () => {
      const q = queue();
      const item = q.file(withPii("msg_1"));
      assert.deepEqual(item.pii, [
        { kind: "EMAIL", where: "question", excerpt: masked("dana.reyes@example.com") },
        { kind: "EMAIL", where: "answer", excerpt: masked("dana.reyes@example.com") },
        { kind: "PHONE", where: "proposed", excerpt: masked("(415) 555-2671") },
      ]);
      assert.equal(masked("dana.reyes@example.com"), `d${"*".repeat(20)}m`);
      assert.ok(!JSON.stringify(item.pii).includes("example.com"), "the excerpt hides the value");

      // names only with a NameFinder
      const names = new ListNameFinder(["Dana Reyes"]);
      const scanned = await q.rescan(item.id, names);
      assert.deepEqual(
        scanned.pii.filter((f) => f.kind === "PERSON").map((f) => f.where),
        ["question", "answer"],
      );

      const { item: r, replaced } = await q.redact(item.id, { names });
      assert.deepEqual(replaced, { EMAIL: 2, PHONE: 3, PERSON: 2 });
      assert.equal(r.redacted, true);
      assert.equal(r.question[0]?.content, "I am [PERSON], write to [EMAIL] about my bike.");
      assert.equal(r.answer, "Sure [PERSON], we will write to [EMAIL] today.");
      assert.equal(r.proposed, "We will call you on [PHONE].");
      assert.equal(r.feedback.correction, "We will call you on [PHONE].");
      assert.equal(r.feedback.comment, "call me on [PHONE] instead");
      assert.deepEqual(r.pii, []);

      // new feedback on the redacted item keeps the redacted question and answer
      const again = q.file({
        ...withPii("msg_1"),
        feedback: { ...withPii("msg_1").feedback, correction: "Mail a.b@example.org instead." },
      });
      assert.equal(again.answer, r.answer);
      assert.deepEqual(again.pii, [
        { kind: "EMAIL", where: "proposed", excerpt: masked("a.b@example.org") },
      ]);

      // accepted with an edit that holds a phone number: the final answer is redacted too
      const other = q.file(withPii("msg_2"));
      const accepted = q.accept(other.id, "bob", { answer: "Call 415-555-0199 for Dana Reyes." });
      assert.ok(accepted.pii.some((f) => f.where === "final_answer" && f.kind === "PHONE"));
      const done = await q.redact(other.id, { names });
      assert.equal(done.item.final_answer, "Call [PHONE_2] for [PERSON].");
      assert.equal(done.item.status, "accepted");

      // once in a dataset, redaction is refused (the dataset holds the text now)
      q.markUsed([other.id], "dsv_1");
      await assert.rejects(q.redact(other.id, { names: null }), /in dataset version dsv_1 already/);
    });
  });
