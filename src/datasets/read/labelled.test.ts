import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type DataRecord, readRecords } from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "tailor-labelled-"));
let n = 0;
function file(ext: string, content: string): string {
  const path = join(dir, `f${n++}.${ext}`);
  writeFileSync(path, content);
  return path;
}
async function all(path: string): Promise<DataRecord[]> {
  const out: DataRecord[] = [];
  for await (const r of readRecords(path)) out.push(r);
  return out;
}
const jsonl = (...lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join("\n");
/** Each record as [line, labels] or [line, code, field]. */
const brief = (recs: DataRecord[]) =>
  recs.map((r) =>
    r.kind === "example" ? [r.line, r.example.labels] : [r.line, r.code, r.field ?? null],
  );

test("JSONL: one label or a list; the text is the user message, the labels the answer", async () => {
  const recs = await all(
    file(
      "jsonl",
      jsonl(
        { text: "Your invoice is attached", label: " billing " },
        { text: "Server down and card charged twice", labels: ["outage", "billing"] },
      ),
    ),
  );
  assert.deepEqual(brief(recs), [
    [1, ["billing"]],
    [2, ["outage", "billing"]],
  ]);
  const second = recs[1];
  assert.ok(second?.kind === "example");
  assert.deepEqual(second.example.messages, [
    { role: "user", content: "Server down and card charged twice" },
    { role: "assistant", content: "outage, billing" },
  ]);
});

test("JSONL: bad labelled lines are problems naming the line and the field", async () => {
  const recs = await all(
    file(
      "jsonl",
      jsonl(
        { text: "", label: "spam" },
        { text: "hello", label: "" },
        { text: "hello", label: 3 },
        { text: 42, label: "spam" },
        { text: "hello", labels: "spam" },
        { text: "hello", labels: [] },
        { text: "hello", labels: ["a", " "] },
        { text: "hello", labels: ["a", "a"] },
        { text: "hello", label: "a", labels: ["b"] },
        { text: "hello", label: "x".repeat(101) },
        { text: null, label: "spam" },
        { text: "fine", label: "ok" },
      ),
    ),
  );
  assert.deepEqual(brief(recs), [
    [1, "empty_content", "text"],
    [2, "empty_content", "label"],
    [3, "wrong_type", "label"],
    [4, "wrong_type", "text"],
    [5, "wrong_type", "labels"],
    [6, "empty_content", "labels"],
    [7, "empty_content", "labels[1]"],
    [8, "wrong_type", "labels[1]"],
    [9, "wrong_type", "labels"],
    [10, "wrong_type", "label"],
    [11, "missing_field", "text"],
    [12, ["ok"]],
  ]);
  const number = recs[2];
  assert.ok(number?.kind === "problem");
  assert.match(number.message, /must be text.*write the number as "3"/);
  const long = recs[9];
  assert.ok(long?.kind === "problem");
  assert.match(long.message, /101 characters.*other way round/);
});

test("CSV with text,label columns reads as labelled texts; a labels column splits on | and ;", async () => {
  const single = await all(
    file("csv", 'id,text,label\n1,"Lunch at noon, room 4",internal\n2,Win a prize!!!,spam\n'),
  );
  assert.deepEqual(brief(single), [
    [2, ["internal"]],
    [3, ["spam"]],
  ]);
  const first = single[0];
  assert.ok(first?.kind === "example");
  assert.equal(first.example.messages[0]?.content, "Lunch at noon, room 4");
  assert.equal(first.example.messages[1]?.content, "internal");

  const multi = await all(
    file("tsv", "Text\tLabels\nbroken and billed twice\toutage | billing\nhi\tsmalltalk\n"),
  );
  assert.deepEqual(brief(multi), [
    [2, ["outage", "billing"]],
    [3, ["smalltalk"]],
  ]);
});

test("CSV rows with an empty text, an empty label or a missing column are problems", async () => {
  const recs = await all(file("csv", "text,label\n,spam\nhello,\nonly\n ok ,fine\n"));
  assert.deepEqual(brief(recs), [
    [2, "empty_content", "text"],
    [3, "empty_content", "label"],
    [4, "missing_field", "label"],
    [5, ["fine"]],
  ]);
});

test("a prompt/completion CSV is still read as one, and a header with neither says both", async () => {
  const recs = await all(file("csv", "prompt,completion,label\nhi,there,x\n"));
  const first = recs[0];
  assert.ok(first?.kind === "example");
  assert.equal(first.example.labels, undefined);
  await assert.rejects(all(file("csv", "message,category\nhi,x\n")), /text\/label/);
});

test("the stored form (a chat line with labels) reads back with its labels", async () => {
  const stored = {
    messages: [
      { role: "user", content: "Win a cruise!!!" },
      { role: "assistant", content: "spam" },
    ],
    labels: ["spam"],
  };
  const recs = await all(file("jsonl", jsonl(stored, { ...stored, labels: [] })));
  assert.deepEqual(brief(recs), [
    [1, ["spam"]],
    [2, "wrong_type", "labels"],
  ]);
  const first = recs[0];
  assert.ok(first?.kind === "example");
  assert.deepEqual(first.example, stored);
});
