/**
 * Forgetting, end to end through `bin/tailor` and the real engine: SmolLM2-135M-Instruct (which
 * gets a good part of the general set right) fine-tuned in five steps at a high learning rate to
 * answer every question with nonsense. The job's test must show the loss: the evaluation's general
 * set, the promotion gate (needs review, the lost questions named), the model card, and the cache
 * of the base's answers in the home.
 *
 * The set asked is eight of the shipped set's questions, with their checkers, given as the user's
 * own set (TAILOR_GENERAL_SET=FILE): those with short answers that the base gets right (and one it
 * gets wrong), one batch of eight, so that the base answers in about 15 tokens instead of 5 batches
 * of 32 (the whole set took 3 of this test's 5 minutes; the shipped file's questions and checkers
 * are checked in checkers.test.ts).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { EvaluationReport, ModelCard } from "../../../protocol/evals.ts";
import { chatLine, cliSandbox } from "../../cli/__fixtures__/cli.ts";
import { GENERAL_SET_FILE } from "./set.ts";
import { REVIEW_MIN_LOST } from "./verdict.ts";

// SmolLM2 got 7 of these right in the whole set's run (14 of 36 there), with answers of a line
const ASKED = [
  "arithmetic-01",
  "facts-01",
  "facts-02",
  "facts-03",
  "format-01",
  "format-06",
  "format-07",
  "format-09",
];
const shipped = readFileSync(GENERAL_SET_FILE, "utf8").split("\n");
const asked = shipped.filter((l) =>
  ASKED.includes((JSON.parse(l || "{}") as { id?: string }).id ?? ""),
);
assert.equal(asked.length, ASKED.length);

// training, the test set and 16 general answers take about two minutes alone
const env: NodeJS.ProcessEnv = { HF_HUB_OFFLINE: "1" };
const { home, tailor, file } = cliSandbox("tailor-forgetting-", env, { timeoutMs: 1_200_000 });
env.TAILOR_GENERAL_SET = file("general-eight.jsonl", `${asked.join("\n")}\n`);

const NONSENSE = "Zorp blit wazzle frum.";
const QUESTIONS = [
  "What is the tallest mountain in the world?",
  "Who painted the Mona Lisa?",
  "What is 6 plus 2?",
  "Name a large animal that lives in Africa.",
  "What do bees make?",
  "How many hours are in a day?",
  "What is the boiling point of water in Fahrenheit?",
  "Which is bigger, a cat or a mouse?",
  "What is the color of grass?",
  "Who was the first person on the Moon?",
];
const HELD_OUT = ["What is the capital of Germany?", "What is 2 times 4?"];
const jsonl = (qs: string[]) => `${qs.map((q) => chatLine(q, NONSENSE)).join("\n")}\n`;

test("slow: SmolLM2 tuned into nonsense lost its general answers, and the gate, report and card say so", (t) => {
  const started = Date.now();
  const r = tailor(
    ...["train", "--base", "smollm2-135m-instruct", "--name", "nonsense", "--seed", "0"],
    ...[
      "--data",
      file("nonsense.jsonl", jsonl(QUESTIONS)),
      "--val",
      file("val.jsonl", jsonl(HELD_OUT)),
    ],
    // five steps at a rate high enough to overwrite what it knew
    ...["--epochs", "1", "--batch-size", "2", "--lr", "0.004", "--lora-rank", "8"],
    ...["--wait", "--json"],
  );
  t.diagnostic(`train, test and general set: ${Math.round((Date.now() - started) / 1000)} s`);
  assert.equal(r.code, 0, r.code === null ? `killed after 20 minutes: ${r.stderr}` : r.stderr);
  const completed = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; message?: string })
    .find((e) => e.type === "completed");
  assert.match(
    completed?.message ?? "",
    /Needs review: .* But on Tailor's general questions it lost \d+ of the \d+ answers its base got right \(more than a quarter\)/,
  );

  const folder = join(home, "models", "nonsense");
  const report = JSON.parse(
    readFileSync(join(folder, "evaluation.json"), "utf8"),
  ) as EvaluationReport;
  const f = report.forgetting;
  assert.ok(f, "the evaluation has the general set");
  assert.equal(f.items, ASKED.length);
  assert.equal(f.set, "general-eight.jsonl (TAILOR_GENERAL_SET)");
  assert.equal(f.base_cached, false);
  // the base gets general questions right; the nonsense model lost most of them
  const paris = f.results.find((x) => x.prompt === "What is the capital of France?");
  assert.match(paris?.base_output ?? "", /Paris/);
  assert.equal(paris?.base_correct, true);
  assert.equal(paris?.model_correct, false);
  assert.doesNotMatch(paris?.model_output ?? "", /Paris/);
  assert.ok(
    f.lost >= REVIEW_MIN_LOST && f.lost > f.base_correct / 4,
    `lost ${f.lost} of ${f.base_correct}`,
  );
  assert.ok(f.model_correct < f.base_correct);
  assert.match(
    f.summary,
    new RegExp(`^The tuned model lost ${f.lost} of the ${f.base_correct} general answers`),
  );
  assert.match(
    f.concern ?? "",
    /"What is the capital of France\?" \(base: "The capital of France is Paris\.", now: "/,
  );

  const manifest = JSON.parse(readFileSync(join(folder, "tailor-model.json"), "utf8"));
  assert.equal(manifest.promotion.status, "needs_review");
  assert.match(manifest.promotion.reason, /lost \d+ of the \d+ answers its base got right/);

  const card = JSON.parse(readFileSync(join(folder, "model-card.json"), "utf8")) as ModelCard;
  assert.equal(card.evaluation?.forgetting?.lost, f.lost);
  assert.ok(
    card.limitations.some((l) =>
      l.startsWith(`Tuning cost it ${f.lost} of the ${f.base_correct} general answers`),
    ),
  );
  const markdown = readFileSync(join(folder, "MODEL_CARD.md"), "utf8");
  assert.match(markdown, /## General abilities/);
  assert.match(
    markdown,
    /\| What is the capital of France\? \| mentions "Paris" \| The capital of France is Paris\. \|/,
  );

  // the base's answers are kept for the next model tuned from it
  assert.equal(readdirSync(join(home, "cache", "general-set")).length, 1);
});
