import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { EvaluationReport } from "../../protocol/evals.ts";
import {
  calibrationError,
  confusionTable,
  decideClassifierPromotion,
  labelScores,
  majorityBaseline,
  untempered,
} from "./classification.ts";

const close = (a: number, b: number, eps = 1e-9) =>
  assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test("single-label scores: accuracy, per-label precision/recall/F1, macro-F1 over the labels that occur", () => {
  const expected = [["spam"], ["spam"], ["ham"], ["ham"], ["ham"]];
  const predicted = [["spam"], ["ham"], ["ham"], ["ham"], ["spam"]];
  const s = labelScores(predicted, expected, ["ham", "spam", "other"]);
  close(s.accuracy, 3 / 5);
  // ham: tp 2, fp 1, fn 1; spam: tp 1, fp 1, fn 1; "other" never occurs and is left out of the mean
  close(s.perLabel.ham?.precision ?? 0, 2 / 3);
  close(s.perLabel.ham?.recall ?? 0, 2 / 3);
  close(s.perLabel.spam?.f1 ?? 0, 0.5);
  assert.deepEqual(s.perLabel.other, { precision: 0, recall: 0, f1: 0, support: 0 });
  close(s.macroF1, (2 / 3 + 0.5) / 2);
  assert.deepEqual(confusionTable(predicted, expected, ["ham", "spam"]), {
    labels: ["ham", "spam"],
    matrix: [
      [2, 1],
      [1, 1],
    ],
  });
});

test("multi-label scores: a text is right only with exactly its labels; F1 per label", () => {
  const expected = [["billing", "urgent"], ["billing"], ["bug"]];
  const predicted = [["billing"], ["billing"], ["bug", "urgent"]];
  const s = labelScores(predicted, expected, ["billing", "bug", "urgent"]);
  close(s.accuracy, 1 / 3);
  assert.equal(s.perLabel.billing?.f1, 1);
  assert.equal(s.perLabel.urgent?.support, 1);
  assert.equal(s.perLabel.urgent?.f1, 0); // one missed, one given wrongly
  close(s.macroF1, 2 / 3);
});

test("calibration error: 0 when confidence matches accuracy, the gap when it does not", () => {
  const honest = [
    ...Array.from({ length: 8 }, () => ({ confidence: 0.85, right: true })),
    ...Array.from({ length: 2 }, () => ({ confidence: 0.85, right: false })),
  ];
  close(calibrationError(honest), 0.05);
  const overconfident = Array.from({ length: 10 }, (_, i) => ({ confidence: 0.99, right: i < 5 }));
  close(calibrationError(overconfident), 0.49);
});

test("untempered undoes the temperature: softmax(z/T) back to softmax(z), sigmoid too", () => {
  const z = [2, 0.5, -1];
  const softmax = (v: number[]) => {
    const e = v.map((x) => Math.exp(x));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  const t = 1.7;
  const raw = untempered(softmax(z.map((x) => x / t)), t, false);
  for (const [i, p] of softmax(z).entries()) close(raw[i] ?? 0, p, 1e-9);
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const rawMulti = untempered(
    z.map((x) => sigmoid(x / t)),
    t,
    true,
  );
  for (const [i, x] of z.entries()) close(rawMulti[i] ?? 0, sigmoid(x), 1e-9);
});

test("the baseline is the most common training label, or the held-out one without the counts", () => {
  const dir = mkdtempSync(join(tmpdir(), "tailor-baseline-"));
  const held = [{ line: 2, text: "x", labels: ["b"] }];
  assert.deepEqual(majorityBaseline(dir, held, false), { labels: ["b"], counted_on: "held-out" });
  writeFileSync(
    join(dir, "tailor_train.json"),
    JSON.stringify({ label_counts: { a: 5, b: 5, c: 9 }, train_examples: 12 }),
  );
  assert.deepEqual(majorityBaseline(dir, held, false), { labels: ["c"], counted_on: "training" });
  // multi-label: every label more than half of the training texts have
  assert.deepEqual(majorityBaseline(dir, held, true), { labels: ["c"], counted_on: "training" });
});

const report = (model: [number, number], base: [number, number]) =>
  ({
    data: { source: "val.csv", examples: 40 },
    models: [
      { model: "router", metrics: { accuracy: model[0], macro_f1: model[1] } },
      { model: "always a", metrics: { accuracy: base[0], macro_f1: base[1] } },
    ],
    classification: { baseline: { labels: ["a"], counted_on: "training" } },
  }) as unknown as EvaluationReport;

test("the gate: ready only above the baseline in accuracy (by min delta) and in macro-F1", () => {
  const ready = decideClassifierPromotion(report([0.9, 0.88], [0.5, 0.17]), { model: "router" });
  assert.equal(ready.status, "ready");
  assert.match(
    ready.reason,
    /90\.0% of the 40 held-out texts right \(macro-F1 88\.0%\), against 50\.0%/,
  );
  assert.match(ready.reason, /no base model that could answer/);
  assert.equal(ready.base_score, 0.5);
  // a tie with always answering "a" is not learning anything
  assert.equal(
    decideClassifierPromotion(report([0.5, 0.17], [0.5, 0.17]), { model: "router" }).status,
    "needs_review",
  );
  // above in accuracy, but the small labels are lost: macro-F1 no better than the guess
  const lopsided = decideClassifierPromotion(report([0.6, 0.15], [0.5, 0.17]), { model: "router" });
  assert.equal(lopsided.status, "needs_review");
  assert.match(lopsided.reason, /confusion table/);
  const margin = decideClassifierPromotion(report([0.54, 0.4], [0.5, 0.17]), {
    model: "router",
    minDelta: 0.05,
  });
  assert.equal(margin.status, "needs_review");
  assert.match(margin.reason, /by 5\.0% in accuracy/);
});
