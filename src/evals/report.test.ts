/** The report's pieces on hand-made answers: per-kind scores, the gate's threshold, the HTML page. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { EvaluationReport } from "../../protocol/evals.ts";
import { defaultMaxTokens, exampleScore, scoreAll, toEvalExamples } from "./evaluate.ts";
import { escapeHtml, headline, renderHtml } from "./html.ts";
import { decidePromotion } from "./promotion.ts";

function report(a: number, b: number, outcome = { wins: 2, ties: 1, losses: 1 }): EvaluationReport {
  return {
    object: "tailor.evaluation",
    created_at: 0,
    data: { source: "val.jsonl", examples: 4 },
    kind: "label",
    primary_metric: "accuracy",
    models: [
      { model: "tuned", metrics: { accuracy: a }, seconds: 1, completion_tokens: 4 },
      { model: "base", metrics: { accuracy: b }, seconds: 1, completion_tokens: 4 },
    ],
    deltas: { accuracy: a - b },
    outcome,
    examples: [
      {
        line: 1,
        prompt: "<script>alert(1)</script> is this spam?",
        expected: "spam",
        outputs: ["spam", ""],
        scores: [1, 0],
        outcome: "win",
      },
    ],
    settings: { max_tokens: 32, batch_size: 8, greedy: true },
  };
}

describe("evaluation report", () => {
  test("the expected answer is the last assistant message; examples without one are skipped", () => {
    const got = toEvalExamples([
      {
        line: 3,
        messages: [
          { role: "system", content: "s" },
          { role: "user", content: "q1" },
          { role: "assistant", content: "a1" },
          { role: "user", content: "q2" },
          { role: "assistant", content: "a2" },
        ],
      },
      { line: 4, messages: [{ role: "assistant", content: "alone" }] },
    ]);
    assert.equal(got.length, 1);
    assert.equal(got[0]?.expected, "a2");
    assert.deepEqual(
      got[0]?.messages.map((m) => m.content),
      ["s", "q1", "a1", "q2"],
    );
    assert.equal(defaultMaxTokens(got), 32); // short answers still get room
  });

  test("per-example scores fit the kind of answer", () => {
    const want = '{"intent": "refund", "order": "NW-1"}';
    assert.equal(exampleScore("json", '{"intent": "refund", "order": "NW-2"}', want), 0.5);
    assert.equal(exampleScore("json", "not json", want), 0);
    assert.equal(exampleScore("label", " Spam ", "Spam"), 1);
    assert.equal(exampleScore("label", "ham", "spam"), 0);
    assert.equal(exampleScore("text", "", ""), 1);
    assert.equal(exampleScore("text", "", "something"), 0);
  });

  test("label answers get accuracy, macro-F1 and a confusion table", () => {
    const s = scoreAll("label", ["spam", "ham", "spam", "ham"], ["spam", "spam", "ham", "ham"]);
    assert.equal(s.metrics.accuracy, 0.5);
    assert.deepEqual(s.confusion, {
      labels: ["ham", "spam"],
      matrix: [
        [1, 1],
        [1, 1],
      ],
    });
    const json = scoreAll("json", ['{"a": 1}', "x"], ['{"a": 1, "b": 2}', '{"a": 1}']);
    assert.equal(json.metrics.valid_json, 0.5);
    assert.equal(json.metrics.field_accuracy, 1 / 3);
  });

  test("the gate: at least as good as the base is ready, a margin raises the bar", () => {
    assert.equal(decidePromotion(report(0.5, 0.5), { model: "m" }).status, "ready");
    const worse = decidePromotion(report(0.4, 0.5), { model: "m" });
    assert.equal(worse.status, "needs_review");
    assert.match(worse.reason, /40\.0% accuracy on 4 held-out examples against its base's 50\.0%/);
    assert.match(worse.reason, /tailor eval m/);
    assert.equal(
      decidePromotion(report(0.6, 0.5), { model: "m", minDelta: 0.2 }).status,
      "needs_review",
    );
    assert.equal(decidePromotion(report(0.7, 0.5), { model: "m", minDelta: 0.2 }).status, "ready");
    const nothing = decidePromotion(report(0, 0), { model: "m" });
    assert.equal(nothing.status, "needs_review");
    assert.match(
      nothing.reason,
      /0\.0% accuracy .* against its base's 0\.0%.*none of the held-out answers right/,
    );
    // nothing right below a base that got some right: the reason is that it is worse, not "train longer"
    const zero = decidePromotion(report(0, 0.5), { model: "m" });
    assert.equal(zero.status, "needs_review");
    assert.match(zero.reason, /against its base's 50\.0%.*must be at least as good as its base/);
    assert.doesNotMatch(zero.reason, /none of the held-out answers right/);
    const untested = decidePromotion(null, { model: "m", notEvaluated: "No held-out data." });
    assert.deepEqual([untested.status, untested.reason], ["needs_review", "No held-out data."]);
  });

  test("the HTML page escapes what the data says and states the verdict", () => {
    const html = renderHtml(report(0.75, 0.25));
    assert.ok(!html.includes("<script>alert(1)"));
    assert.ok(html.includes(escapeHtml("<script>alert(1)</script> is this spam?")));
    assert.match(
      headline(report(0.75, 0.25)),
      /^tuned answered better than base: better on 2 of 4/,
    );
    assert.match(
      headline(report(0.25, 0.75, { wins: 0, ties: 1, losses: 3 })),
      /^tuned answered worse than base/,
    );
    assert.match(html, /\(empty answer\)/);
  });
});
