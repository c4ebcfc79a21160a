import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { MODERATION_CATEGORIES, type ModerationResult } from "../../protocol/moderation.ts";
import { checkData, type TokenCounter } from "./check.ts";

const dir = mkdtempSync(join(tmpdir(), "tailor-check-"));
let n = 0;
const chat = (u: string, a: string) =>
  JSON.stringify({
    messages: [
      { role: "user", content: u },
      { role: "assistant", content: a },
    ],
  });
function file(lines: string[]): string {
  const path = join(dir, `d${n++}.jsonl`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}
const varied = (count: number, offset = 0) =>
  Array.from({ length: count }, (_, i) =>
    chat(
      `Question number ${i + offset} about bikes?`,
      `Answer ${i + offset}: it depends on the frame.`,
    ),
  );

/** Counts one token per character: enough to exercise the length checks without a model. */
const counter =
  (contextLength: number): TokenCounter =>
  async (chatJsonl) => ({
    counts: readFileSync(chatJsonl, "utf8")
      .trim()
      .split("\n")
      .map((l) =>
        (JSON.parse(l) as { messages: { content: string }[] }).messages.reduce(
          (s, m) => s + m.content.length,
          0,
        ),
      ),
    contextLength,
    tokensPerSecond: 100,
  });
const charCounter = counter(500);

test("a clean set of 60 examples is ok, with statistics and a time estimate", async () => {
  const r = await checkData(file(varied(60)), { tokenCounter: charCounter, base: "test-model" });
  assert.equal(r.ok, true);
  assert.equal(r.examples, 60);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.warnings, []);
  const t = r.stats.tokens;
  assert.ok(t && t.min <= t.median && t.median <= t.max);
  assert.equal(
    t?.histogram.reduce((s, h) => s + h.count, 0),
    60,
  );
  assert.equal(r.stats.epochs, 3);
  assert.equal(
    r.stats.estimated_training_seconds,
    Math.round(((r.stats.tokens_per_epoch ?? 0) * 3) / 100),
  );
});

test("errors: bad lines with line and field, too few usable examples", async () => {
  const r = await checkData(
    file([
      chat("a", "b"),
      "not json",
      JSON.stringify({ messages: [{ role: "user", content: "q" }] }),
    ]),
  );
  assert.equal(r.ok, false);
  assert.deepEqual(
    r.errors.map((e) => [e.line ?? null, e.code]),
    [
      [2, "not_json"],
      [3, "no_assistant"],
      [null, "too_few_examples"],
    ],
  );
});

test("warnings: few examples, duplicates, near duplicates, the same answer everywhere", async () => {
  const lines = [
    ...Array.from({ length: 12 }, (_, i) => chat(`Ticket ${i}?`, "We will get back to you.")),
    chat("Ticket 0?", "We will get back to you."),
    chat("TICKET 1 ?!", "we will get back to you"),
  ];
  const r = await checkData(file(lines));
  assert.equal(r.ok, true);
  const codes = r.warnings.map((w) => [w.code, w.line ?? null, w.lines?.[0] ?? null]);
  assert.deepEqual(codes, [
    ["duplicate", 13, 1],
    ["near_duplicate", 14, 2],
    ["few_examples", null, null],
    ["similar_outputs", null, null],
  ]);
});

test("validation examples that are also in training are flagged", async () => {
  const train = file(varied(20));
  const val = file([
    chat("Question number 3 about bikes?", "Something else"),
    chat("A fresh question?", "A fresh answer."),
  ]);
  const r = await checkData(train, { val });
  assert.equal(r.stats.validation_examples, 2);
  const leak = r.warnings.filter((w) => w.code === "in_training_and_validation");
  assert.deepEqual(
    leak.map((w) => [w.file, w.line, w.lines]),
    [[val, 1, [4]]],
  );
});

test("length checks use the model's token counts: too long is an error, cut and uneven are warnings", async () => {
  const lines = [...varied(20), chat("q", "x".repeat(1100)), chat("q", "y".repeat(900))];
  const r = await checkData(file(lines), {
    tokenCounter: counter(1000),
    maxSeqLength: 800,
    base: "test-model",
  });
  assert.deepEqual(
    r.errors.map((e) => [e.line, e.code]),
    [[21, "too_long_for_model"]],
  );
  assert.match(r.errors[0]?.message ?? "", /test-model reads at most 1000/);
  const codes = r.warnings.map((w) => [w.code, w.line ?? null, w.lines ?? null]);
  assert.deepEqual(codes, [
    ["few_examples", null, null],
    ["uneven_lengths", null, [21, 22]],
    ["will_be_cut", 22, null],
  ]);
});

test("personal data is found per line and field, masked in the report", async () => {
  const lines = [
    ...varied(10),
    chat("Mail me at jane.doe@example.com or call +1 415 555 0132", "Sure, Jane."),
    chat("My card is 4111 1111 1111 1111", "Thanks"),
  ];
  const r = await checkData(file(lines));
  const found = r.pii.map((p) => [p.line, p.type, p.field]);
  assert.ok(found.some(([l, t, f]) => l === 11 && t === "EMAIL" && f === "messages[0].content"));
  assert.ok(found.some(([l, t]) => l === 11 && t === "PHONE"));
  assert.ok(found.some(([l, t]) => l === 12 && t === "CARD"));
  const email = r.pii.find((p) => p.type === "EMAIL");
  assert.ok(
    email && !email.preview.includes("jane.doe@example.com") && email.preview.startsWith("ja"),
  );
  assert.equal(r.pii_counts.EMAIL, 1);
});

test("the training speed is measured after the scans, with the machine to itself, and each slow part is announced", async () => {
  const order: string[] = [];
  // the name finder takes its time: the token counter (which measures the speed) waits for it
  const names = {
    findNames: async (texts: string[]) => {
      await new Promise((r) => setTimeout(r, 200));
      order.push("names answered");
      return texts.map(() => []);
    },
  };
  const stages: string[] = [];
  const train = file(varied(20));
  const val = file(varied(3, 100));
  const r = await checkData(train, {
    base: "test-model",
    names,
    val,
    tokenCounter: async (chatJsonl, o) => {
      order.push(`counting (measure speed: ${o.measureSpeed})`);
      return charCounter(chatJsonl, o);
    },
    moderator: {
      model: "stand-in",
      moderate: async (texts: string[]) =>
        texts.map(() => {
          const none = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, false]));
          const low = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, 0.01]));
          return { flagged: false, categories: none, category_scores: low } as ModerationResult;
        }),
    },
    onStage: (m) => stages.push(m),
  });
  assert.deepEqual(order, ["names answered", "counting (measure speed: true)"]);
  assert.equal(
    r.stats.tokens?.histogram.reduce((s, h) => s + h.count, 0),
    20,
  );
  assert.equal(r.ok, true);
  assert.deepEqual(stages, [
    `reading ${train}, looking for private data and harmful answers`,
    `reading ${val}, looking for private data`,
    "counting tokens with test-model and measuring its training speed on this machine",
  ]);
});

test("a token counter that fails is the check's error, after the scan", async () => {
  let scanned = false;
  const names = {
    findNames: async (texts: string[]) => {
      await new Promise((r) => setTimeout(r, 50));
      scanned = true;
      return texts.map(() => []);
    },
  };
  await assert.rejects(
    checkData(file(varied(12)), {
      names,
      tokenCounter: async () => {
        throw new Error("the engine could not load the base model");
      },
    }),
    /could not load the base model/,
  );
  assert.equal(scanned, true);
});
