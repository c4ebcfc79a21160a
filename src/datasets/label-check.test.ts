import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { checkData, type TokenCounter } from "./check.ts";

const dir = mkdtempSync(join(tmpdir(), "tailor-label-check-"));
let n = 0;
function file(ext: string, lines: string[]): string {
  const path = join(dir, `d${n++}.${ext}`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}
/** `count` labelled texts per label, each text different. */
const rows = (counts: Record<string, number>) =>
  Object.entries(counts).flatMap(([label, count]) =>
    Array.from(
      { length: count },
      (_, i) => `"Message ${i} for the ${label} team, about item ${i * 7}",${label}`,
    ),
  );
/** Issue codes, less "few examples" (the small sets here are meant to be small). */
const codes = (issues: { code: string }[]) =>
  issues.map((i) => i.code).filter((c) => c !== "few_examples");
let counted = 0;
const counter: TokenCounter = async () => {
  counted++;
  return { counts: [], contextLength: 512, tokensPerSecond: 1 };
};

test("a balanced labelled CSV is ok: label counts, no token count, no 'similar outputs'", async () => {
  const r = await checkData(file("csv", ["text,label", ...rows({ internal: 30, external: 25 })]), {
    tokenCounter: counter,
    base: "smollm2-135m-instruct",
  });
  assert.equal(r.ok, true, JSON.stringify(r.errors));
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.stats.labels, {
    counts: { internal: 30, external: 25 },
    validation_counts: {},
    multi_label: false,
    imbalance: 1.2,
  });
  assert.equal(counted, 0, "labelled texts are not counted with a generative base's tokenizer");
});

test("rare labels, imbalance and the same text under two labels are warnings with their lines", async () => {
  const path = file("csv", [
    "text,label",
    ...rows({ internal: 50, spam: 3 }),
    '"Message 2 for the internal team, about item 14",spam',
  ]);
  const r = await checkData(path);
  assert.equal(r.ok, true);
  assert.deepEqual(codes(r.warnings), ["label_conflict", "rare_label", "label_imbalance"]);
  const [conflict, rare, imbalance] = r.warnings;
  assert.equal(conflict?.line, 55);
  assert.deepEqual(conflict?.lines, [4]);
  assert.match(conflict?.message ?? "", /same text as line 4.*"spam" here, "internal" there/);
  assert.match(rare?.message ?? "", /fewer than 5 examples \("spam": 4\)/);
  assert.match(imbalance?.message ?? "", /"internal" has 50 examples, "spam" 4 \(13 times fewer\)/);
});

test("labelled lines mixed with chat lines, and one label only, are errors", async () => {
  const chat = JSON.stringify({
    messages: [
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
    ],
  });
  const labelled = (i: number, label: string) => JSON.stringify({ text: `text ${i}`, label });
  const mixed = await checkData(
    file("jsonl", [
      ...Array.from({ length: 12 }, (_, i) => labelled(i, i % 2 ? "a" : "b")),
      chat,
      chat.replace("hi", "hey"),
    ]),
  );
  assert.equal(mixed.ok, false);
  assert.deepEqual(codes(mixed.errors), ["mixed_formats"]);
  assert.equal(mixed.errors[0]?.line, 13);
  assert.match(mixed.errors[0]?.message ?? "", /2 examples \(from line 13\) are chat/);

  const one = await checkData(
    file(
      "jsonl",
      Array.from({ length: 12 }, (_, i) => labelled(i, "spam")),
    ),
  );
  assert.deepEqual(codes(one.errors), ["too_few_labels"]);
  assert.match(one.errors[0]?.message ?? "", /every example has the label "spam"/);
});

test("validation: a label training never saw, and unlabelled validation lines", async () => {
  const train = file("csv", ["text,label", ...rows({ internal: 10, external: 10 })]);
  const val = file("csv", ["text,label", '"New hire starts Monday",internal', "Buy now,spam"]);
  const r = await checkData(train, { val });
  assert.deepEqual(codes(r.warnings), ["unseen_label"]);
  const unseen = r.warnings.find((w) => w.code === "unseen_label");
  assert.equal(unseen?.file, val);
  assert.match(unseen?.message ?? "", /\("spam"\)/);
  assert.deepEqual(r.stats.labels?.validation_counts, { internal: 1, spam: 1 });

  const chatVal = file("csv", ["prompt,completion", "hi,internal"]);
  const bad = await checkData(train, { val: chatVal });
  assert.deepEqual(codes(bad.errors), ["mixed_formats"]);
  assert.equal(bad.errors[0]?.file, chatVal);
});

test("multi-label JSONL is reported as such", async () => {
  const lines = Array.from({ length: 12 }, (_, i) =>
    JSON.stringify({
      text: `ticket ${i}`,
      labels: i % 3 ? ["billing"] : ["billing", "urgent"],
    }),
  );
  const r = await checkData(file("jsonl", lines));
  assert.equal(r.stats.labels?.multi_label, true);
  assert.deepEqual(r.stats.labels?.counts, { billing: 12, urgent: 4 });
  assert.deepEqual(codes(r.warnings), ["rare_label"]);
});
