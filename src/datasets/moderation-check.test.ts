/**
 * The data check's moderation of answers, with a stand-in moderation model (flags an answer that
 * says "punch"): warnings with line, field and category; prompts, labelled texts and non-preferred
 * answers not checked; batches in order; a failing model becomes a warning.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  MODERATION_CATEGORIES,
  type ModerationCategory,
  type ModerationResult,
} from "../../protocol/moderation.ts";
import type { Moderator } from "../safety/index.ts";
import { checkData } from "./check.ts";

const dir = mkdtempSync(join(tmpdir(), "tailor-moderation-check-"));
let n = 0;
function file(ext: string, lines: string[]): string {
  const path = join(dir, `d${n++}.${ext}`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

class StandIn implements Moderator {
  readonly model = "stand-in";
  seen: string[][] = [];
  fail = false;
  async moderate(texts: string[]): Promise<ModerationResult[]> {
    if (this.fail) throw new Error("the engine stopped");
    this.seen.push(texts);
    return texts.map((t) => {
      const on = (c: ModerationCategory) => c === "violence" && /punch/i.test(t);
      return {
        flagged: /punch/i.test(t),
        categories: Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, on(c)])),
        category_scores: Object.fromEntries(
          MODERATION_CATEGORIES.map((c) => [c, on(c) ? 0.9 : 0.1]),
        ),
      } as ModerationResult;
    });
  }
}

const chat = (user: string, answer: string) =>
  JSON.stringify({
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: answer },
    ],
  });

const examples = (k: number) =>
  Array.from({ length: k }, (_, i) =>
    chat(`Question ${i} about punching a ticket?`, `Answer ${i}.`),
  );

test("an answer the moderation flags is a warning with its line, field and category", async () => {
  const moderator = new StandIn();
  const lines = examples(12);
  lines[4] = chat("My neighbour is loud.", "Go over there and punch him in the face.");
  const r = await checkData(file("jsonl", lines), { moderator });
  const w = r.warnings.filter((x) => x.code === "harmful_answer");
  assert.equal(w.length, 1, JSON.stringify(r.warnings));
  assert.equal(w[0]?.line, 5);
  assert.equal(w[0]?.field, "messages[1].content");
  assert.match(w[0]?.message ?? "", /violence \(0\.90\).*a model learns what its examples say/);
  assert.equal(r.ok, true, "a warning, not an error");
  // only answers are read: every prompt says "punching"
  assert.ok(moderator.seen.flat().every((t) => t.startsWith("Answer") || t.startsWith("Go over")));
});

test("without a moderation model nothing is moderated", async () => {
  const lines = [...examples(11), chat("hi", "I will punch you.")];
  const r = await checkData(file("jsonl", lines));
  assert.deepEqual(
    r.warnings.filter((x) => x.code === "harmful_answer"),
    [],
  );
});

test("answers go in batches, in file order, and every flagged one is found", async () => {
  const moderator = new StandIn();
  const lines = Array.from({ length: 600 }, (_, i) =>
    chat(`q${i}`, i % 100 === 7 ? `punch ${i}` : `fine ${i}`),
  );
  const r = await checkData(file("jsonl", lines), { moderator });
  assert.deepEqual(
    moderator.seen.map((b) => b.length),
    [256, 256, 88],
  );
  assert.deepEqual(
    r.warnings.filter((x) => x.code === "harmful_answer").map((x) => x.line),
    [8, 108, 208, 308, 408, 508],
  );
});

test("an answer repeated across examples is scored once, and warned about on every line", async () => {
  const moderator = new StandIn();
  const lines = Array.from({ length: 30 }, (_, i) =>
    chat(`q${i}`, i % 10 === 3 ? "I will punch you." : "Thanks, we will look into it."),
  );
  const r = await checkData(file("jsonl", lines), { moderator });
  assert.deepEqual(moderator.seen.flat().sort(), [
    "I will punch you.",
    "Thanks, we will look into it.",
  ]);
  assert.deepEqual(
    r.warnings.filter((x) => x.code === "harmful_answer").map((x) => x.line),
    [4, 14, 24],
  );
});

test("labelled texts are not moderated: their answers are labels", async () => {
  const moderator = new StandIn();
  const rows = Array.from(
    { length: 12 },
    (_, i) => `"I will punch you ${i}",${i % 2 ? "threat" : "ok"}`,
  );
  await checkData(file("csv", ["text,label", ...rows]), { moderator });
  assert.deepEqual(moderator.seen, []);
});

test("a preference pair's non-preferred answer is not moderated, its preferred one is", async () => {
  const moderator = new StandIn();
  const pairs = Array.from({ length: 12 }, (_, i) =>
    JSON.stringify({
      input: { messages: [{ role: "user", content: `neighbour ${i} is loud` }] },
      preferred_output: [{ role: "assistant", content: `Talk to them calmly ${i}.` }],
      non_preferred_output: [{ role: "assistant", content: `Punch them ${i}.` }],
    }),
  );
  const r = await checkData(file("jsonl", pairs), { moderator });
  assert.deepEqual(r.errors, []);
  assert.equal(moderator.seen.flat().length, 12);
  assert.deepEqual(
    r.warnings.filter((x) => x.code === "harmful_answer"),
    [],
  );
});

test("a moderation model that fails is a warning; the check goes on", async () => {
  const moderator = new StandIn();
  moderator.fail = true;
  const r = await checkData(file("jsonl", examples(12)), { moderator });
  assert.equal(r.examples, 12);
  const w = r.warnings.filter((x) => x.code === "harmful_answer");
  assert.equal(w.length, 1);
  assert.match(w[0]?.message ?? "", /not checked.*the engine stopped.*--no-moderation/);
});
