import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openDb } from "../store/index.ts";
import { checkData } from "./check.ts";
import { PreferenceCheck } from "./preference-check.ts";
import type { Example } from "./read/index.ts";
import { DatasetStore } from "./store.ts";

const home = mkdtempSync(join(tmpdir(), "tailor-pairs-"));
let n = 0;
function file(lines: string[]): string {
  const path = join(home, `p${n++}.jsonl`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}
const pair = (i: number, rejected = `No idea about ${i}.`) =>
  JSON.stringify({
    input: { messages: [{ role: "user", content: `Question ${i} about my bike?` }] },
    preferred_output: [{ role: "assistant", content: `Happy to help with ${i}: check the chain.` }],
    non_preferred_output: [{ role: "assistant", content: rejected }],
  });
const plain = (i: number) =>
  JSON.stringify({
    messages: [
      { role: "user", content: `Plain question ${i}?` },
      { role: "assistant", content: `Plain answer ${i}.` },
    ],
  });
const pairs = (count: number) => Array.from({ length: count }, (_, i) => pair(i));

test("a file of pairs is checked as pairs: counted, each problem with its line and field", async () => {
  const r = await checkData(
    file([
      ...pairs(12),
      JSON.stringify({
        prompt: "Hi",
        chosen: "Hello! How can I help?",
        rejected: "Hello! How can I help?",
      }),
    ]),
  );
  assert.equal(r.stats.preference_pairs, 12);
  assert.equal(r.examples, 12);
  assert.deepEqual(
    r.errors.map((e) => [e.line, e.code, e.field]),
    [[13, "identical_pair", "rejected"]],
  );
});

test("a file that mixes pairs and plain examples is an error at the odd line out", async () => {
  const r = await checkData(file([...pairs(11), plain(1), pair(20)]));
  assert.equal(r.ok, false);
  const mixed = r.errors.find((e) => e.code === "mixed_formats");
  assert.equal(mixed?.line, 12);
  assert.deepEqual(mixed?.lines, [1]);
  assert.match(mixed?.message ?? "", /mixes 12 preference pairs with 1 plain example/);
});

test("held-out examples must be the same kind as the training data", async () => {
  const r = await checkData(file(pairs(12)), { val: file([plain(1), plain(2)]) });
  assert.ok(
    r.errors.some((e) => e.code === "mixed_formats" && /holds plain examples but/.test(e.message)),
    JSON.stringify(r.errors),
  );
});

test("a pair is as long as its longer side: the non-preferred answer counts too", () => {
  const c = new PreferenceCheck();
  const e = (preferred: string, rejected?: string): Example => ({
    messages: [
      { role: "user", content: "0123456789" },
      { role: "assistant", content: preferred },
    ],
    ...(rejected !== undefined
      ? { non_preferred_output: [{ role: "assistant" as const, content: rejected }] }
      : {}),
  });
  c.add(e("x".repeat(10), "y".repeat(90)), 1); // 20 characters counted as 40 tokens: 2 a character
  c.add(e("x".repeat(90), "y".repeat(10)), 2);
  assert.deepEqual(c.longestSides([40, 200]), [200, 200]);
});

test("private data in the non-preferred answer is found, and --redact replaces it in the stored pair", async () => {
  const store = new DatasetStore(openDb(home), home);
  const path = file([...pairs(11), pair(99, "Write to jane.doe@example.com yourself.")]);
  const r = await checkData(path);
  assert.deepEqual(
    r.pii.map((p) => [p.line, p.field, p.type]),
    [[12, "non_preferred_output[0].content", "EMAIL"]],
  );
  const { version } = await store.add(path, { redact: true });
  const stored = store
    .cat(version.id)
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Example);
  assert.equal(stored.length, 12);
  assert.ok(stored.every((e) => e.non_preferred_output?.length === 1));
  const last = stored.find((e) => e.messages[0]?.content === "Question 99 about my bike?");
  assert.equal(last?.non_preferred_output?.[0]?.content, "Write to [EMAIL] yourself.");
  // what was stored reads back as the same pairs
  const again = await checkData(store.files(version.id).train);
  assert.equal(again.stats.preference_pairs, 12);
  assert.equal(again.errors.length, 0);
});
