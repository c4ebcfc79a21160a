/**
 * `tailor eval`: every held-out example answered greedily (in batches, by the engine) by one model,
 * or by two on the same examples, then scored against the expected answers with the metrics that
 * fit them. The report is what the CLI prints, the HTML page draws and a job stores with its model.
 */

import {
  type EvaluationReport,
  type ExampleResult,
  type MetricName,
  type ModelScores,
  PRIMARY_METRIC,
} from "../../protocol/evals.ts";
import type { ChatMessage, ModelSource } from "../../protocol/index.ts";
import { DATASET_ID, type DatasetStore, loadExamples, readRecords } from "../datasets/index.ts";
import { engineResult } from "../engine/index.ts";
import { TailorError } from "../errors/index.ts";
import {
  classify,
  exactMatch,
  jsonFields,
  lengthRatio,
  type OutputKind,
  outputKind,
  rougeL,
  tokenF1,
} from "./metrics.ts";

/** A conversation up to the answer to judge, the answer expected, and where it came from. */
export interface EvalExample {
  line: number;
  messages: ChatMessage[];
  expected: string;
}

export interface EvalModel {
  name: string;
  source: ModelSource;
  adapterDir?: string | undefined;
}

export interface EvaluateOptions {
  model: EvalModel;
  compare?: EvalModel | undefined;
  examples: EvalExample[];
  /** What the examples are, for the report ("val.jsonl", "ds-…"). */
  source: string;
  maxTokens?: number | undefined;
  batchSize?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Answers generated so far over all models, and how many there will be. */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** Conversations cut before their last assistant message, which becomes the expected answer. */
export function toEvalExamples(
  records: { line: number; messages: ChatMessage[] }[],
): EvalExample[] {
  return records.flatMap(({ line, messages }) => {
    const last = messages.map((m) => m.role).lastIndexOf("assistant");
    if (last <= 0) return [];
    return [{ line, messages: messages.slice(0, last), expected: messages[last]?.content ?? "" }];
  });
}

/**
 * The examples of a data file, or of a stored dataset version (its validation examples when it has
 * some, else all of them). Bad lines are an error that names them, as for training.
 */
export async function loadEvalExamples(
  data: string,
  datasets: DatasetStore,
): Promise<{ examples: EvalExample[]; source: string }> {
  let file = data;
  if (DATASET_ID.test(data)) {
    const files = datasets.files(data);
    file = files.val ?? files.train;
  }
  await loadExamples(file); // throws the same file:line report as training does
  const records: { line: number; messages: ChatMessage[] }[] = [];
  for await (const r of readRecords(file))
    if (r.kind === "example") records.push({ line: r.line, messages: r.example.messages });
  const examples = toEvalExamples(records);
  if (examples.length === 0) {
    throw new TailorError({
      code: "data_invalid",
      message: `${data} has no example that ends with an answer to compare with; each needs a user message followed by the expected assistant message`,
    });
  }
  return { examples, source: data };
}

/** Enough tokens for the longest expected answer (about 3 characters a token), with room to spare. */
export function defaultMaxTokens(examples: EvalExample[]): number {
  const longest = Math.max(...examples.map((e) => e.expected.length));
  return Math.min(512, Math.max(32, Math.ceil(longest / 2) + 16));
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
}

/** One example's score on the primary metric, in [0, 1]. */
export function exampleScore(kind: OutputKind, predicted: string, expected: string): number {
  if (kind === "json") {
    const f = jsonFields(predicted, expected);
    return f && f.fields > 0 ? f.correct / f.fields : f?.valid ? 1 : 0;
  }
  if (kind === "label") return classify([predicted], [expected]).accuracy;
  return rougeL(predicted, expected);
}

/** The metrics that fit `kind`, over all examples. */
export function scoreAll(
  kind: OutputKind,
  predicted: string[],
  expected: string[],
): Pick<ModelScores, "metrics" | "confusion"> {
  const pairs = expected.map((e, i) => [predicted[i] ?? "", e] as const);
  const metrics: Partial<Record<MetricName, number>> = {
    exact_match: mean(pairs.map(([p, e]) => exactMatch(p, e))),
  };
  if (kind === "json") {
    const fields = pairs.map(([p, e]) => jsonFields(p, e));
    const total = fields.reduce((s, f) => s + (f?.fields ?? 0), 0);
    metrics.valid_json = mean(fields.map((f) => (f?.valid ? 1 : 0)));
    metrics.field_accuracy = total ? fields.reduce((s, f) => s + (f?.correct ?? 0), 0) / total : 0;
    return { metrics };
  }
  if (kind === "label") {
    const c = classify(predicted, expected);
    metrics.accuracy = c.accuracy;
    metrics.macro_f1 = c.macroF1;
    return { metrics, confusion: { labels: c.labels, matrix: c.confusion } };
  }
  metrics.token_f1 = mean(pairs.map(([p, e]) => tokenF1(p, e)));
  metrics.rouge_l = mean(pairs.map(([p, e]) => rougeL(p, e)));
  metrics.length_ratio = mean(pairs.map(([p, e]) => lengthRatio(p, e)));
  return { metrics };
}

/** Scores beyond this difference decide a win or a loss; closer ones are a tie. */
const TIE = 1e-9;

export async function evaluate(opts: EvaluateOptions): Promise<EvaluationReport> {
  const models = opts.compare ? [opts.model, opts.compare] : [opts.model];
  const { examples } = opts;
  const maxTokens = opts.maxTokens ?? defaultMaxTokens(examples);
  const batchSize = opts.batchSize ?? 8;
  const generated = await engineResult(
    "generate-batch",
    {
      models: models.map((m) => ({
        base: m.source,
        ...(m.adapterDir ? { adapter_dir: m.adapterDir } : {}),
      })),
      conversations: examples.map((e) => e.messages),
      max_tokens: maxTokens,
      batch_size: batchSize,
    },
    "generations",
    {
      ...(opts.signal ? { signal: opts.signal } : {}),
      onMessage: (m) => {
        if (m.type === "progress" && m.current !== undefined && m.total !== undefined)
          opts.onProgress?.(m.current, m.total);
      },
    },
  );
  const expected = examples.map((e) => e.expected);
  const kind = outputKind(expected);
  const primary = PRIMARY_METRIC[kind];
  const scores: ModelScores[] = models.map((m, i) => {
    const r = generated.results[i];
    if (!r) throw new TailorError({ code: "engine_protocol", message: "missing generations" });
    return {
      model: m.name,
      ...scoreAll(kind, r.texts, expected),
      seconds: r.seconds,
      completion_tokens: r.completion_tokens.reduce((s, n) => s + n, 0),
    };
  });
  const rows: ExampleResult[] = examples.map((e, i) => {
    const outputs = generated.results.map((r) => r.texts[i] ?? "");
    const s = outputs.map((o) => exampleScore(kind, o, e.expected));
    const [a, b] = s as [number, number | undefined];
    return {
      line: e.line,
      prompt: [...e.messages].reverse().find((m) => m.role === "user")?.content ?? "",
      expected: e.expected,
      outputs,
      scores: s,
      outcome: b === undefined ? null : a > b + TIE ? "win" : b > a + TIE ? "loss" : "tie",
    };
  });
  const [first, second] = scores;
  const deltas = second
    ? Object.fromEntries(
        Object.entries(first?.metrics ?? {}).map(([k, v]) => [
          k,
          v - (second.metrics[k as MetricName] ?? 0),
        ]),
      )
    : null;
  return {
    object: "tailor.evaluation",
    created_at: Math.floor(Date.now() / 1000),
    data: { source: opts.source, examples: examples.length },
    kind,
    primary_metric: primary,
    models: scores,
    deltas,
    outcome: second
      ? {
          wins: rows.filter((r) => r.outcome === "win").length,
          ties: rows.filter((r) => r.outcome === "tie").length,
          losses: rows.filter((r) => r.outcome === "loss").length,
        }
      : null,
    examples: rows,
    settings: { max_tokens: maxTokens, batch_size: batchSize, greedy: true },
  };
}
