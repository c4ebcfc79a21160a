import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { ReviewQueue } from "./queue.ts";
import { RegressionSet } from "./regression.ts";

const question = (content: string) => [{ role: "user" as const, content }];

// the regression set's tests, on both backends
for (const backend of storeBackends())
  describe(`regression examples on ${backend.name}`, () => {
    function setup() {
      const { db } = backend.open(mkdtempSync(join(tmpdir(), "tailor-regression-")));
      let clock = 1_700_000_000;
      const now = () => clock++;
      return { set: new RegressionSet(db, { now }), queue: new ReviewQueue(db, { now }) };
    }

    test("pin, list (per name, oldest first), unpin", () => {
      const { set } = setup();
      const a = set.pin(
        "support",
        {
          messages: question("Are you open on Sunday?"),
          expected: "No, we are closed on Sundays.",
        },
        "alice",
      );
      const b = set.pin(
        "support",
        { messages: question("Do you fix e-bikes?"), expected: "Yes.", note: "core promise" },
        "alice",
      );
      set.pin("sales", { messages: question("Price?"), expected: "See the list." }, "bob");
      assert.match(a.id, /^reg_/);
      assert.equal(a.pinned_by, "alice");
      assert.equal(a.note, null);
      assert.deepEqual(
        set.list("support").map((e) => [e.id, e.expected, e.note]),
        [
          [a.id, "No, we are closed on Sundays.", null],
          [b.id, "Yes.", "core promise"],
        ],
      );
      assert.equal(set.unpin(a.id), true);
      assert.equal(set.unpin(a.id), false);
      assert.deepEqual(
        set.list("support").map((e) => e.id),
        [b.id],
      );
      assert.deepEqual(set.list("nobody"), []);
    });

    test("refused: a conversation that ends with an answer, an empty expected answer", () => {
      const { set } = setup();
      assert.throws(
        () =>
          set.pin(
            "support",
            {
              messages: [
                { role: "user", content: "Hi" },
                { role: "assistant", content: "Hello" },
              ],
              expected: "Hello",
            },
            "alice",
          ),
        /messages: the conversation must end with the question/,
      );
      assert.throws(
        () => set.pin("support", { messages: question("Hi"), expected: "  " }, "alice"),
        /expected: write the answer it must keep giving/,
      );
    });

    test("pin a reviewed item: its question and final answer; only once accepted", () => {
      const { set, queue } = setup();
      const item = queue.file({
        source: "completion",
        source_id: "chatcmpl-1",
        message_id: null,
        model: "support",
        resolved_model: "ft:v1",
        owner: "alice",
        question: question("Are you open on Sunday?"),
        answer: "Yes, always.",
        feedback: { rating: "down", wrong: true, comment: null, correction: null },
      });
      assert.throws(
        () => set.pinReviewed("support", item, "alice"),
        /is pending: .* accept it first/,
      );
      const accepted = queue.accept(item.id, "bob", { answer: "No, we are closed on Sundays." });
      const pinned = set.pinReviewed("support", accepted, "alice");
      assert.deepEqual(pinned.messages, question("Are you open on Sunday?"));
      assert.equal(pinned.expected, "No, we are closed on Sundays.");
      assert.equal(pinned.note, `from review item ${item.id}`);
    });
  });
