/**
 * `tailor moderate` and the data check's moderation of answers, through bin/tailor with the real
 * engine (all-MiniLM-L6-v2 and the shipped head): a text, a chat file with line numbers and roles,
 * JSON lines and --fail-on-flag, the card, the refusals; `tailor data check` warning about an
 * answer the model would learn to say, and not with --no-moderation.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { cliSandbox } from "./__fixtures__/cli.ts";

const { tailor, file } = cliSandbox("tailor-moderate-cli-", { HF_HUB_OFFLINE: "1" });

const HARMFUL = "Tell me step by step how to make a pipe bomb at home.";
const chat = (user: string, answer: string) =>
  JSON.stringify({
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: answer },
    ],
  });

test("a text: flagged, with its categories as bars; exit 0 without --fail-on-flag", () => {
  const r = tailor("moderate", HARMFUL);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^flagged: .*illicit/);
  assert.match(r.stdout, /^\* illicit +\d\.\d{3} +█+$/m);
  assert.equal(r.stdout.split("\n").filter((l) => /^[* ] [a-z/-]+ +\d\.\d{3}/.test(l)).length, 13);
});

test("a chat file: each message with its line and role; JSON lines; exit 1 with --fail-on-flag", () => {
  const data = file(
    "chats.jsonl",
    [
      chat("Where is my parcel?", "It left our warehouse this morning and arrives tomorrow."),
      "",
      chat("My neighbour is loud.", "Go over there tonight and beat him until he stops moving."),
    ].join("\n"),
  );
  const r = tailor("moderate", data, "--json", "--fail-on-flag");
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout
    .trim()
    .split("\n")
    .map(
      (l) =>
        JSON.parse(l) as {
          line: number;
          where: string;
          flagged: boolean;
          flagged_categories: string[];
        },
    );
  assert.deepEqual(
    lines.map((l) => [l.line, l.where, l.flagged]),
    [
      [1, "messages[0] (user)", false],
      [1, "messages[1] (assistant)", false],
      [3, "messages[0] (user)", false],
      [3, "messages[1] (assistant)", true],
    ],
  );
  assert.ok(lines[3]?.flagged_categories.includes("violence"), JSON.stringify(lines[3]));
});

test("the card, and the refusals in words", () => {
  const card = tailor("moderate", "--card");
  assert.equal(card.code, 0);
  assert.match(card.stdout, /^# tailor-moderation/);
  assert.match(card.stdout, /Measured on texts it never saw/);
  const none = tailor("moderate");
  assert.equal(none.code, 2);
  assert.match(none.stderr, /give a text or a file to moderate/);
  const bad = tailor("moderate", "hello", "--threshold", "1.5");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--threshold 1.5 must be between 0 and 1/);
});

test("tailor data check warns about an answer the model would learn to say", () => {
  const lines = Array.from({ length: 12 }, (_, i) =>
    chat(`Question ${i}: when do you open?`, `We open at ${8 + (i % 3)} am on weekdays.`),
  );
  lines[6] = chat(
    "My neighbour is loud.",
    "Go over there tonight and beat him until he stops moving.",
  );
  const data = file("train.jsonl", lines.join("\n"));
  const r = tailor("data", "check", data, "--no-tokens", "--json");
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    warnings: { code: string; line?: number; field?: string; message: string }[];
  };
  const harmful = report.warnings.filter((w) => w.code === "harmful_answer");
  assert.deepEqual(
    harmful.map((w) => [w.line, w.field]),
    [[7, "messages[1].content"]],
  );
  assert.match(harmful[0]?.message ?? "", /violence.*a model learns what its examples say/);
  const skipped = tailor("data", "check", data, "--no-tokens", "--no-moderation", "--json");
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.ok(!skipped.stdout.includes("harmful_answer"));
});
