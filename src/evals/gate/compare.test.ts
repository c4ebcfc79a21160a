import assert from "node:assert/strict";
import { test } from "node:test";
import type { EvaluationReport } from "../../../protocol/evals.ts";
import type { EvalExample, EvaluateOptions } from "../evaluate.ts";
import { compareVersions, type Evaluator, regressionExamples } from "./compare.ts";

const ask = (q: string, a: string, line: number): EvalExample => ({
  line,
  messages: [{ role: "user", content: q }],
  expected: a,
});

/**
 * Plays evaluate(): each model's score on an example is looked up by model and question, and the
 * metric is their mean; records each request.
 */
function fakeEvaluator(table: Record<string, Record<string, number>>) {
  const calls: EvaluateOptions[] = [];
  const run: Evaluator = async (opts) => {
    calls.push(opts);
    const models = [opts.model, ...(opts.compare ? [opts.compare] : [])];
    const question = (e: EvalExample) =>
      [...e.messages].reverse().find((m) => m.role === "user")?.content ?? "";
    const score = (m: string, e: EvalExample) => table[m]?.[question(e)] ?? 0;
    const n = opts.examples.length;
    opts.onProgress?.(n, n * models.length);
    opts.onProgress?.(n * models.length, n * models.length);
    const report: EvaluationReport = {
      object: "tailor.evaluation",
      created_at: 0,
      data: { source: opts.source, examples: n },
      kind: "text",
      primary_metric: "rouge_l",
      models: models.map((m) => ({
        model: m.name,
        metrics: { rouge_l: opts.examples.reduce((s, e) => s + score(m.name, e), 0) / n },
        seconds: 0,
        completion_tokens: 0,
      })),
      deltas: null,
      outcome: null,
      examples: opts.examples.map((e) => ({
        line: e.line,
        prompt: question(e),
        expected: e.expected,
        outputs: models.map(() => ""),
        scores: models.map((m) => score(m.name, e)),
        outcome: null,
      })),
      settings: { max_tokens: opts.maxTokens ?? 32, batch_size: 8, greedy: true },
    };
    return report;
  };
  return { run, calls };
}

const current = {
  name: "ft:support-2",
  source: { kind: "builtin" as const, name: "tiny" as never },
};
const candidate = { ...current, name: "ft:support-3", adapterDir: "/models/ft:support-3" };

test("each set is answered by both versions in one run, the candidate first, and scored per example", async () => {
  const { run, calls } = fakeEvaluator({
    "ft:support-3": { "hours?": 1, "refunds?": 0.5, "address?": 0.25 },
    "ft:support-2": { "hours?": 1, "refunds?": 0, "address?": 0.75 },
  });
  const progress: [number, number][] = [];
  let started = 0;
  const scores = await compareVersions({
    current,
    candidate,
    sets: {
      original: { source: "ds-orig", examples: [ask("hours?", "9 to 5", 3)] },
      corrections: {
        source: "ds-held",
        examples: [ask("refunds?", "within 30 days", 1), ask("address?", "1 Main St", 2)],
      },
      regression: null,
    },
    evaluator: run,
    maxTokens: 16,
    onStart: (n) => {
      started = n;
    },
    onProgress: (done, total) => progress.push([done, total]),
  });
  assert.equal(calls.length, 2);
  for (const c of calls) {
    assert.equal(c.model.name, "ft:support-3");
    assert.equal(c.model.adapterDir, "/models/ft:support-3");
    assert.equal(c.compare?.name, "ft:support-2");
    assert.equal(c.maxTokens, 16);
  }
  assert.deepEqual(
    calls.map((c) => c.source),
    ["ds-orig", "ds-held"],
  );
  assert.equal(scores.regression, null);
  assert.deepEqual(scores.original, {
    role: "original",
    source: "ds-orig",
    metric: "rouge_l",
    current: 1,
    candidate: 1,
    rows: [{ prompt: "hours?", current: 1, candidate: 1 }],
  });
  assert.deepEqual(scores.corrections?.rows, [
    { prompt: "refunds?", current: 0, candidate: 0.5 },
    { prompt: "address?", current: 0.75, candidate: 0.25 },
  ]);
  assert.equal(scores.corrections?.candidate, 0.375);
  assert.equal(scores.corrections?.current, 0.375);
  // 2 answers for the first set, then 4 for the second, counted over the whole comparison
  assert.equal(started, 6);
  assert.deepEqual(progress.at(-1), [6, 6]);
  assert.ok(progress.some(([d]) => d === 4));
  assert.ok(progress.every(([d, t], i) => t === 6 && d >= (progress[i - 1]?.[0] ?? 0)));
});

test("empty and missing sets are not run; pinned examples are read as the evaluation's examples", async () => {
  const { run, calls } = fakeEvaluator({ "ft:support-2": { "hours?": 1 } });
  const pinned = regressionExamples([
    {
      id: "reg_1",
      name: "support",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hours?" },
      ],
      expected: "9 to 5",
      pinned_by: "alice",
      pinned_at: 0,
      note: null,
    },
  ]);
  assert.deepEqual(pinned, [
    {
      line: 1,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hours?" },
      ],
      expected: "9 to 5",
    },
  ]);
  const scores = await compareVersions({
    current,
    candidate,
    sets: {
      original: null,
      corrections: { source: "ds-held", examples: [] },
      regression: { source: "support's pinned examples", examples: pinned },
    },
    evaluator: run,
  });
  assert.equal(calls.length, 1);
  assert.equal(scores.original, null);
  assert.equal(scores.corrections, null);
  assert.deepEqual(scores.regression?.rows, [{ prompt: "hours?", current: 1, candidate: 0 }]);
});
