/**
 * The promotion gate: a fine-tuned model is `ready` only when it scores at least as well as its base
 * (plus a margin, 0 by default) on the primary metric of a held-out evaluation; otherwise it is
 * `needs_review`, with a sentence that says why and what to do. A model that gets none of the held-out
 * answers right is never ready, even when its base does no better (a tie at zero shows nothing; below a
 * base that got some right, the reason is that it is worse than its base).
 * One that lost much of what its base answered right on Tailor's general questions is not ready
 * either (src/evals/forgetting/verdict.ts), nor one whose decisions change when only who a text is
 * about changes (the bias probe, src/evals/bias/summary.ts).
 */
import { type EvaluationReport, METRICS, type Promotion } from "../../protocol/evals.ts";
import { reviewForBias } from "./bias/summary.ts";
import { withForgetting } from "./forgetting/verdict.ts";

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** What a metric is called in a sentence ("field accuracy"). */
export function metricLabel(metric: keyof typeof METRICS): string {
  return METRICS[metric].split(":")[0] ?? metric;
}

export function decidePromotion(
  report: EvaluationReport | null,
  opts: { minDelta?: number; model: string; notEvaluated?: string } = { model: "the model" },
): Promotion {
  const minDelta = opts.minDelta ?? 0;
  const decided_at = Math.floor(Date.now() / 1000);
  const base = report?.models[1];
  const tuned = report?.models[0];
  if (!report || !tuned || !base) {
    return {
      status: "needs_review",
      reason:
        opts.notEvaluated ??
        `It has not been compared with its base model on held-out examples; run \`tailor eval ${opts.model} --data FILE --save\` with examples it was not trained on.`,
      metric: report?.primary_metric ?? null,
      model_score: null,
      base_score: null,
      min_delta: minDelta,
      decided_at,
    };
  }
  const metric = report.primary_metric;
  const a = tuned.metrics[metric] ?? 0;
  const b = base.metrics[metric] ?? 0;
  const o = report.outcome;
  const record = o ? ` (better on ${o.wins}, worse on ${o.losses}, the same on ${o.ties})` : "";
  const scores = `${pct(a)} ${metricLabel(metric)} on ${report.data.examples} held-out examples against its base's ${pct(b)}${record}`;
  const bar =
    minDelta > 0
      ? `at least ${pct(minDelta)} better than its base`
      : "at least as good as its base";
  // a tie at nothing is no evidence: a model that gets no held-out answer right is not ready
  const nothingRight = a <= 1e-12;
  const ready = !nothingRight && a >= b + minDelta - 1e-12;
  // what tuning cost it on Tailor's general questions: said, and a large loss asks for a review
  const promotion = withForgetting(report.forgetting, {
    status: ready ? "ready" : "needs_review",
    reason: ready
      ? `It scores ${scores}, so it is ${bar}.`
      : nothingRight && a >= b - 1e-12 // a tie at zero; below a base that got some right, it is worse
        ? `It scores ${scores}: it got none of the held-out answers right, so the test cannot show it learned your task. Train longer or on more examples (or pick a larger base model), and check that the held-out examples are like the training ones.`
        : `It scores ${scores}; it must be ${bar} to be ready. Look at the examples it got worse on (\`tailor eval ${opts.model} --data FILE --html report.html\`), then fix or add training examples and train again.`,
    metric,
    model_score: a,
    base_score: b,
    min_delta: minDelta,
    decided_at,
  });
  // decisions that change with who a text is about (the bias probe): a gap asks for a review
  return reviewForBias(promotion, report.bias);
}
