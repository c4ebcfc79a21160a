/**
 * The test of a model tuned on preference pairs (DPO): on held-out pairs, how often the tuned model
 * and its base each find the preferred answer more likely than the other (the engine's score-pairs:
 * log-probability per answer token, each model alone), and their greedy answers to the same conversations side
 * by side with the preferred answer as the reference (evaluate()'s generation and text metrics). The
 * primary metric is pair accuracy, so the promotion gate asks the tuned model to prefer the preferred
 * answers at least as often as its base (plus the margin asked for).
 */
import { once } from "node:events";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EvaluationReport, ExampleResult, MetricName } from "../../protocol/evals.ts";
import {
  DATASET_ID,
  type DatasetStore,
  type Example,
  loadExamples,
  readRecords,
} from "../datasets/index.ts";
import { engineResult } from "../engine/index.ts";
import { TailorError } from "../errors/index.ts";
import { type EvaluateOptions, evaluate } from "./evaluate.ts";

/** Scores beyond this difference decide a win or a loss (as evaluate's). */
const TIE = 1e-9;

/** The held-out pairs of a data file or stored dataset version (its validation pairs when it has some). */
async function loadPairs(
  data: string,
  datasets: DatasetStore,
): Promise<{ line: number; example: Example }[]> {
  let file = data;
  if (DATASET_ID.test(data)) {
    const files = datasets.files(data);
    file = files.val ?? files.train;
  }
  await loadExamples(file); // bad lines: the same file:line report as training
  const pairs: { line: number; example: Example }[] = [];
  for await (const r of readRecords(file))
    if (r.kind === "example" && r.example.non_preferred_output) pairs.push(r);
  if (pairs.length === 0)
    throw new TailorError({
      code: "data_invalid",
      message: `${data} has no preference pairs to test a preference-tuned model on; give held-out pairs (preferred_output and non_preferred_output on each line)`,
      details: { file },
    });
  return pairs;
}

/** The pairs as the engine reads them: one stored-form line each. */
async function writePairs(pairs: { example: Example }[], file: string): Promise<void> {
  const out = createWriteStream(file);
  for (const p of pairs) if (!out.write(`${JSON.stringify(p.example)}\n`)) await once(out, "drain");
  out.end();
  await once(out, "close");
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);

/**
 * An evaluate() for a preference-tuned model: `data` (a file or dataset version) holds the held-out
 * pairs; the options' examples are the same conversations with their preferred answers.
 */
export function preferenceEvaluation(
  data: string,
  datasets: DatasetStore,
): (opts: EvaluateOptions) => Promise<EvaluationReport> {
  return (opts) => evaluatePreference({ ...opts, data, datasets });
}

export async function evaluatePreference(
  opts: EvaluateOptions & { data: string; datasets: DatasetStore },
): Promise<EvaluationReport> {
  const pairs = await loadPairs(opts.data, opts.datasets);
  const models = opts.compare ? [opts.model, opts.compare] : [opts.model];
  const scoring = pairs.length * models.length;
  const answering = opts.examples.length * models.length;
  const generated = await evaluate({
    ...opts,
    onProgress: (done) => opts.onProgress?.(done, answering + scoring),
  });
  const tmp = mkdtempSync(join(tmpdir(), "tailor-pairs-"));
  let scored: { accuracy: number; mean_margin: number; margins: number[] }[];
  try {
    const file = join(tmp, "pairs.jsonl");
    await writePairs(pairs, file);
    scored = (
      await engineResult(
        "score-pairs",
        {
          models: models.map((m) => ({
            base: m.source,
            ...(m.adapterDir ? { adapter_dir: m.adapterDir } : {}),
          })),
          file,
          ...(opts.batchSize ? { batch_size: opts.batchSize } : {}),
        },
        "pair_scores",
        {
          ...(opts.signal ? { signal: opts.signal } : {}),
          onMessage: (m) => {
            if (m.type === "progress" && m.current !== undefined)
              opts.onProgress?.(answering + m.current, answering + scoring);
          },
        },
      )
    ).models;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (scored.length !== models.length)
    throw new TailorError({ code: "engine_protocol", message: "missing pair scores" });
  const byLine = new Map(pairs.map((p, i) => [p.line, i]));
  const rewardAccuracy = opts.compare
    ? mean(
        pairs.map((_, i) =>
          (scored[0]?.margins[i] ?? 0) > (scored[1]?.margins[i] ?? 0) + TIE ? 1 : 0,
        ),
      )
    : undefined;
  const modelScores = generated.models.map((m, k) => ({
    ...m,
    metrics: {
      ...m.metrics,
      pair_accuracy: scored[k]?.accuracy ?? 0,
      ...(k === 0 && rewardAccuracy !== undefined ? { reward_accuracy: rewardAccuracy } : {}),
    },
  }));
  // each example's score is whether the model prefers its pair's preferred answer
  const examples: ExampleResult[] = generated.examples.map((row) => {
    const i = byLine.get(row.line);
    const pair = i === undefined ? undefined : pairs[i];
    if (i === undefined || !pair) return row;
    const margins = scored.map((s) => s.margins[i] ?? 0);
    const scores = margins.map((x) => (x > 0 ? 1 : 0));
    const [a, b] = scores as [number, number | undefined];
    return {
      ...row,
      scores,
      outcome: b === undefined ? null : a > b ? "win" : b > a ? "loss" : "tie",
      non_preferred: (pair.example.non_preferred_output ?? []).map((m) => m.content).join("\n"),
      margins,
    };
  });
  const [first, second] = modelScores;
  const deltas =
    first && second
      ? Object.fromEntries(
          Object.entries(first.metrics).flatMap(([k, v]) => {
            const w = second.metrics[k as MetricName];
            return w === undefined || v === undefined ? [] : [[k, v - w]];
          }),
        )
      : null;
  return {
    ...generated,
    primary_metric: "pair_accuracy",
    models: modelScores,
    deltas,
    outcome: second
      ? {
          wins: examples.filter((r) => r.outcome === "win").length,
          ties: examples.filter((r) => r.outcome === "tie").length,
          losses: examples.filter((r) => r.outcome === "loss").length,
        }
      : null,
    examples,
    preference: { pairs: pairs.length, mean_margins: scored.map((s) => s.mean_margin) },
  };
}
