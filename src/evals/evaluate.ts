/**
 * `tailor eval`: every held-out example answered greedily (in batches, by the engine) by one model,
 * or by two on the same examples, then scored against the expected answers with the metrics that
 * fit them. The report is what the CLI prints, the HTML page draws and a job stores with its model.
 */

import type { GeneratedCall, Tool } from "../../protocol/engine/tools.ts";
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
import {
  answerText,
  type CallScore,
  scoreCall,
  type ToolAnswer,
  toolMetrics,
} from "./tool-calls.ts";

/** A conversation up to the answer to judge, the answer expected, and where it came from. */
export interface EvalExample {
  line: number;
  messages: ChatMessage[];
  /** The expected words ("" when the expected answer only calls functions). */
  expected: string;
  /** The functions the conversation offers. */
  tools?: Tool[] | undefined;
  /** The calls the expected answer makes (null or absent: it answers in words). */
  expectedCalls?: GeneratedCall[] | null | undefined;
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
  /** Decode function arguments under their schemas (tool data; see GenerateBatchRequest). */
  constrained?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Answers generated so far over all models, and how many there will be. */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** Conversations cut before their last assistant message, which becomes the expected answer. */
export function toEvalExamples(
  records: { line: number; messages: ChatMessage[]; tools?: Tool[] | undefined }[],
): EvalExample[] {
  return records.flatMap(({ line, messages, tools }) => {
    const last = messages.map((m) => m.role).lastIndexOf("assistant");
    if (last <= 0) return [];
    const answer = messages[last];
    const calls = answer?.tool_calls?.map((c) => ({
      name: c.function.name,
      arguments: c.function.arguments,
    }));
    return [
      {
        line,
        messages: messages.slice(0, last),
        expected: answer?.content ?? "",
        ...(tools ? { tools } : {}),
        ...(calls || tools ? { expectedCalls: calls ?? null } : {}),
      },
    ];
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
  const records: { line: number; messages: ChatMessage[]; tools?: Tool[] }[] = [];
  for await (const r of readRecords(file)) {
    if (r.kind !== "example") continue;
    const { messages, tools } = r.example;
    records.push({ line: r.line, messages, ...(tools ? { tools } : {}) });
  }
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
  // a call is its JSON plus the format's delimiters (about 40 characters)
  const longest = Math.max(
    ...examples.map(
      (e) => expectedAnswer(e).length + (e.expectedCalls?.length ? 40 * e.expectedCalls.length : 0),
    ),
  );
  return Math.min(512, Math.max(32, Math.ceil(longest / 2) + 16));
}

/** Whether the examples are tool data: they offer functions or expect calls. */
export function isToolData(examples: EvalExample[]): boolean {
  return examples.some((e) => e.tools !== undefined || (e.expectedCalls?.length ?? 0) > 0);
}

/** The expected answer as a reader sees it (words, or the calls). */
export function expectedAnswer(e: EvalExample): string {
  return answerText({ text: e.expected, calls: e.expectedCalls ?? null });
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
  const tooling = isToolData(examples);
  const generated = await engineResult(
    "generate-batch",
    {
      models: models.map((m) => ({
        base: m.source,
        ...(m.adapterDir ? { adapter_dir: m.adapterDir } : {}),
      })),
      conversations: examples.map((e) => e.messages),
      ...(tooling
        ? { tools: examples.map((e) => e.tools ?? null), constrained: opts.constrained ?? false }
        : {}),
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
  const kind: OutputKind | "tools" = tooling ? "tools" : outputKind(expected);
  const primary = PRIMARY_METRIC[kind];
  const answers = generated.results.map((r) =>
    examples.map(
      (_, i): ToolAnswer => ({ text: r.texts[i] ?? "", calls: r.tool_calls?.[i] ?? null }),
    ),
  );
  // tool data: each answer scored against the expected call or words
  const callScores: CallScore[][] = tooling
    ? answers.map((as) =>
        as.map((a, i) => {
          const e = examples[i] as EvalExample;
          return scoreCall(a, { text: e.expected, calls: e.expectedCalls ?? null }, e.tools);
        }),
      )
    : [];
  const scores: ModelScores[] = models.map((m, i) => {
    const r = generated.results[i];
    if (!r) throw new TailorError({ code: "engine_protocol", message: "missing generations" });
    const measured = {
      seconds: r.seconds,
      completion_tokens: r.completion_tokens.reduce((s, n) => s + n, 0),
    };
    if (kind === "tools") {
      const t = toolMetrics(callScores[i] ?? []);
      return { model: m.name, metrics: t.metrics, argument_fields: t.fields, ...measured };
    }
    return { model: m.name, ...scoreAll(kind, r.texts, expected), ...measured };
  });
  const rows: ExampleResult[] = examples.map((e, i) => {
    const outputs = answers.map((as) => answerText(as[i] ?? { text: "", calls: null }));
    const s =
      kind === "tools"
        ? callScores.map((cs) => cs[i]?.score ?? 0)
        : outputs.map((o) => exampleScore(kind, o, e.expected));
    const [a, b] = s as [number, number | undefined];
    return {
      line: e.line,
      prompt: [...e.messages].reverse().find((m) => m.role === "user")?.content ?? "",
      expected: expectedAnswer(e),
      outputs,
      scores: s,
      outcome: b === undefined ? null : a > b + TIE ? "win" : b > a + TIE ? "loss" : "tie",
      ...(tooling
        ? {
            calls: {
              expected: e.expectedCalls?.length ? e.expectedCalls : null,
              outputs: answers.map((as) => as[i]?.calls ?? null),
            },
          }
        : {}),
    };
  });
  const [first, second] = scores;
  const deltas = second
    ? Object.fromEntries(
        Object.entries(first?.metrics ?? {}).flatMap(([k, v]) => {
          const w = second.metrics[k as MetricName];
          return w === undefined ? [] : [[k, v - w]]; // only what both have
        }),
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
    settings: {
      max_tokens: maxTokens,
      batch_size: batchSize,
      greedy: true,
      ...(tooling ? { constrained: opts.constrained ?? false } : {}),
    },
  };
}
