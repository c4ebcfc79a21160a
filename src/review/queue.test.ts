import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { NewReviewItem, ReviewItem } from "../../protocol/review.ts";
import { isTailorError } from "../errors/index.ts";
import { storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { reviewExample } from "./example.ts";
import { ReviewQueue } from "./queue.ts";

const feedback = (f: Partial<ReviewItem["feedback"]> = {}): ReviewItem["feedback"] => ({
  rating: null,
  wrong: false,
  comment: null,
  correction: null,
  ...f,
});

let n = 0;
function answer(over: Partial<NewReviewItem> = {}): NewReviewItem {
  n++;
  return {
    source: "completion",
    source_id: `chatcmpl-${n}`,
    message_id: null,
    model: "support",
    resolved_model: "ft:tiny:support-v1",
    owner: "alice",
    question: [
      { role: "system", content: "You answer for Northwind Bikes." },
      { role: "user", content: `Is the shop open on Sunday? (${n})` },
    ],
    answer: "We are open every day.",
    feedback: feedback({ rating: "up" }),
    ...over,
  };
}

/** Runs `fn` and returns the TailorError it throws. */
function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (isTailorError(e)) return e;
    throw e;
  }
  assert.fail("expected a refusal");
}

// the queue's tests, on both backends
for (const backend of storeBackends())
  describe(`review queue on ${backend.name}`, () => {
    function setup() {
      const { db } = backend.open(mkdtempSync(join(tmpdir(), "tailor-review-")));
      let clock = 1_700_000_000;
      const queue = new ReviewQueue(db, { now: () => clock++ });
      return { db, queue };
    }

    describe("filing feedback", () => {
      test("one item per answer: new feedback updates the pending item, a decided one is kept", () => {
        const { queue } = setup();
        const a = answer({ feedback: feedback({ rating: "down" }) });
        const first = queue.file(a);
        assert.equal(first.status, "pending");
        assert.equal(first.proposed, null);
        assert.equal(first.message_id, null);

        const fixed = "We are closed on Sundays.";
        const second = queue.file({
          ...a,
          feedback: feedback({ rating: "down", correction: fixed }),
        });
        assert.equal(second.id, first.id);
        assert.equal(second.proposed, fixed);
        assert.equal(queue.list(undefined).data.length, 1);

        queue.accept(first.id, "bob");
        const late = queue.file({ ...a, feedback: feedback({ rating: "up" }) });
        assert.equal(late.status, "accepted");
        assert.equal(late.final_answer, fixed);
        assert.equal(
          late.feedback.correction,
          fixed,
          "feedback after the decision changes nothing",
        );

        // an answer in a conversation is told apart by its message id
        const c1 = queue.file(
          answer({ source: "conversation", source_id: "conv_1", message_id: "msg_1" }),
        );
        const c2 = queue.file(
          answer({ source: "conversation", source_id: "conv_1", message_id: "msg_2" }),
        );
        assert.notEqual(c1.id, c2.id);
        assert.equal(c1.message_id, "msg_1");
        assert.equal(queue.findBySource("conversation", "conv_1", "msg_2")?.id, c2.id);
      });

      test("proposed: the correction, else the answer rated up and not wrong, else nothing", () => {
        const { queue } = setup();
        const up = queue.file(answer({ feedback: feedback({ rating: "up" }) }));
        assert.equal(up.proposed, "We are open every day.");
        const upWrong = queue.file(answer({ feedback: feedback({ rating: "up", wrong: true }) }));
        assert.equal(upWrong.proposed, null);
        const corrected = queue.file(
          answer({ feedback: feedback({ rating: "up", correction: "Open 10-4 on Sundays." }) }),
        );
        assert.equal(corrected.proposed, "Open 10-4 on Sundays.");
        const blank = queue.file(
          answer({ feedback: feedback({ rating: "down", correction: "  " }) }),
        );
        assert.equal(blank.proposed, null);
        const calledOnly = queue.file(answer({ answer: "", feedback: feedback({ rating: "up" }) }));
        assert.equal(calledOnly.proposed, null);
        const commentOnly = queue.file(answer({ feedback: feedback({ comment: "meh" }) }));
        assert.equal(commentOnly.proposed, null);
      });

      test("malformed input is refused with the field", () => {
        const { queue } = setup();
        const e = refusal(() => queue.file(answer({ question: [] })));
        assert.equal(e.code, "invalid_argument");
        assert.equal(e.details.field, "question");
      });
    });

    describe("deciding", () => {
      test("accept as proposed, accept with an edit, reject; each recorded with who and when", () => {
        const { queue } = setup();
        const up = queue.file(answer());
        const accepted = queue.accept(up.id, "bob", { note: "fine" });
        assert.equal(accepted.status, "accepted");
        assert.equal(accepted.final_answer, "We are open every day.");
        assert.equal(accepted.reviewer, "bob");
        assert.equal(accepted.note, "fine");
        assert.ok(accepted.decided_at !== null && accepted.decided_at >= up.created_at);
        assert.deepEqual(reviewExample(accepted).messages.at(-1), {
          role: "assistant",
          content: "We are open every day.",
        });

        const down = queue.file(answer({ feedback: feedback({ rating: "down" }) }));
        const edited = queue.accept(down.id, "bob", {
          answer: "Closed on Sundays.",
          note: "edited",
        });
        assert.equal(edited.final_answer, "Closed on Sundays.");
        assert.equal(edited.proposed, null);

        const other = queue.file(answer());
        const rejected = queue.reject(other.id, "carol", "off topic");
        assert.equal(rejected.status, "rejected");
        assert.equal(rejected.final_answer, null);
        assert.equal(rejected.note, "off topic");
        assert.throws(() => reviewExample(rejected), /only accepted items/);
      });

      test("nothing proposed and no edit is refused clearly; a second decision says who made the first", () => {
        const { queue } = setup();
        const down = queue.file(answer({ feedback: feedback({ rating: "down" }) }));
        const e = refusal(() => queue.accept(down.id, "bob"));
        assert.equal(e.code, "invalid_argument");
        assert.match(
          e.message,
          /rated down with no correction: write the right answer with --answer/,
        );
        assert.equal(queue.get(down.id).status, "pending");
        assert.equal(
          refusal(() => queue.accept(down.id, "bob", { answer: " " })).details.field,
          "answer",
        );

        queue.reject(down.id, "carol", "spam");
        const twice = refusal(() => queue.accept(down.id, "bob", { answer: "x" }));
        assert.equal(twice.code, "conflict");
        assert.match(twice.message, /already rejected by carol on \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
        assert.equal(queue.get(down.id).status, "rejected");
        assert.equal(refusal(() => queue.reject("rev_nope", "bob")).code, "not_found");
      });
    });

    describe("listing", () => {
      test("oldest first, filtered by owner, status and model, in pages", () => {
        const { queue } = setup();
        const a1 = queue.file(answer());
        const b1 = queue.file(answer({ owner: "bob", model: "sales", resolved_model: "ft:s" }));
        const a2 = queue.file(answer());
        const a3 = queue.file(answer());
        queue.accept(a2.id, "alice");
        const ids = (r: { data: ReviewItem[] }) => r.data.map((i) => i.id);
        assert.deepEqual(ids(queue.list(undefined)), [a1.id, b1.id, a2.id, a3.id]);
        assert.deepEqual(ids(queue.list("alice", { status: "pending" })), [a1.id, a3.id]);
        assert.deepEqual(ids(queue.list(undefined, { model: "sales" })), [b1.id]);
        assert.deepEqual(ids(queue.list(undefined, { model: "ft:s" })), [b1.id]);
        const page1 = queue.list("alice", { limit: 2 });
        assert.deepEqual(ids(page1), [a1.id, a2.id]);
        assert.equal(page1.has_more, true);
        const page2 = queue.list("alice", { limit: 2, after: a2.id });
        assert.deepEqual(ids(page2), [a3.id]);
        assert.equal(page2.has_more, false);
        assert.equal(
          refusal(() => queue.list(undefined, { after: "rev_gone" })).details.field,
          "after",
        );
      });
    });

    describe("into a dataset", () => {
      test("unused gives the accepted items of a name's versions; markUsed records who accepted them", () => {
        const { db, queue } = setup();
        const v1 = queue.file(answer({ resolved_model: "ft:v1" }));
        const v2 = queue.file(answer({ resolved_model: "ft:v2" }));
        const other = queue.file(answer({ model: "sales", resolved_model: "ft:sales" }));
        const pending = queue.file(answer({ resolved_model: "ft:v1" }));
        const rejected = queue.file(answer({ resolved_model: "ft:v1" }));
        queue.accept(v1.id, "bob");
        queue.accept(v2.id, "carol", { answer: "Closed on Sundays." });
        queue.accept(other.id, "bob");
        queue.reject(rejected.id, "bob");
        const ids = (items: ReviewItem[]) => items.map((i) => i.id);
        assert.deepEqual(ids(queue.unused(["ft:v1", "ft:v2"])), [v1.id, v2.id]);
        assert.deepEqual(queue.unused([]), []);

        // all or none: a pending item refuses the lot
        const e = refusal(() => queue.markUsed([v1.id, pending.id], "dsv_1"));
        assert.equal(e.code, "conflict");
        assert.equal(queue.get(v1.id).used_in, null);

        queue.markUsed([v1.id, v2.id], "dsv_1");
        assert.deepEqual(queue.unused(["ft:v1", "ft:v2"]), []);
        assert.equal(queue.get(v2.id).used_in, "dsv_1");
        assert.deepEqual(
          queue.lineage("dsv_1").map((l) => [l.item.id, l.accepted_by]),
          [
            [v1.id, "bob"],
            [v2.id, "carol"],
          ],
        );
        const rows = db.prepare("SELECT COUNT(*) AS n FROM dataset_lineage").get() as { n: number };
        assert.equal(rows.n, 2);
        assert.match(refusal(() => queue.markUsed([v1.id], "dsv_2")).message, /dsv_1 already/);
      });
    });
  });
