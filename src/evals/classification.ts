/**
 * A text classifier's test: it labels held-out texts (the engine's `classify`), and is scored on
 * accuracy, macro-F1, each label's precision and recall, the confusion table and how well its scores
 * are calibrated. A classifier has no base model that could answer, so the report's second model is
 * the majority-label baseline (always the most common training label), and the promotion gate asks
 * the classifier to beat it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type {
  ClassificationDetails,
  EvaluationReport,
  ExampleResult,
  ModelScores,
  Promotion,
} from "../../protocol/evals.ts";
import { DATASET_ID, type DatasetStore, loadExamples, readRecords } from "../datasets/index.ts";
import { engineResult } from "../engine/index.ts";
import { TailorError } from "../errors/index.ts";
import { CLASSIFIER_FILE } from "../models/index.ts";

/** A held-out text and the labels it should get. */
export interface LabelledExample {
  line: number;
  text: string;
  labels: string[];
}

/** What the test reads of a classifier folder's tailor_classifier.json. */
const Settings = z.object({
  labels: z.array(z.string()).min(2),
  multi_label: z.boolean(),
  threshold: z.number().positive().default(0.5),
  temperature: z.number().positive().default(1),
});
/** Label counts the engine wrote beside the classifier (tailor_train.json). */
const TrainSummary = z.object({
  label_counts: z.record(z.string(), z.number()),
  train_examples: z.number().int().positive(),
});

const ECE_BINS = 10;

/** The labelled texts of a file, or of a dataset version (its held-out split when it has one). */
export async function loadLabelledExamples(
  data: string,
  datasets: DatasetStore,
): Promise<{ examples: LabelledExample[]; source: string }> {
  let file = data;
  if (DATASET_ID.test(data)) {
    const files = datasets.files(data);
    file = files.val ?? files.train;
  }
  await loadExamples(file); // throws the same file:line report as training does
  const examples: LabelledExample[] = [];
  for await (const r of readRecords(file)) {
    if (r.kind !== "example") continue;
    const { labels, messages } = r.example;
    if (!labels)
      throw new TailorError({
        code: "data_invalid",
        message: `${data}, line ${r.line}: not a labelled text; a classifier is tested on lines like {"text": "...", "label": "..."} (or a CSV with the columns text,label)`,
        details: { file: data, line: r.line },
      });
    const text = messages.find((m) => m.role === "user")?.content ?? "";
    examples.push({ line: r.line, text, labels });
  }
  return { examples, source: data };
}

/** Precision, recall, F1 and support per label, and the means and accuracy over texts. */
export function labelScores(
  predicted: string[][],
  expected: string[][],
  labels: string[],
): {
  accuracy: number;
  macroF1: number;
  perLabel: ClassificationDetails["per_label"];
} {
  const perLabel: ClassificationDetails["per_label"] = {};
  const seen = labels.filter(
    (l) => expected.some((e) => e.includes(l)) || predicted.some((p) => p.includes(l)),
  );
  for (const label of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    expected.forEach((e, i) => {
      const p = predicted[i] ?? [];
      if (p.includes(label) && e.includes(label)) tp++;
      else if (p.includes(label)) fp++;
      else if (e.includes(label)) fn++;
    });
    const precision = tp + fp ? tp / (tp + fp) : 0;
    const recall = tp + fn ? tp / (tp + fn) : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perLabel[label] = { precision, recall, f1, support: tp + fn };
  }
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
  const right = expected.filter((e, i) => same(e, predicted[i] ?? [])).length;
  return {
    accuracy: expected.length ? right / expected.length : 0,
    // the labels that occur (expected or predicted), as scikit-learn's macro average counts them
    macroF1: seen.length ? seen.reduce((s, l) => s + (perLabel[l]?.f1 ?? 0), 0) / seen.length : 0,
    perLabel,
  };
}

/** Expected answers against predicted ones, one label per text: matrix[i][j] expected i, got j. */
export function confusionTable(predicted: string[][], expected: string[][], labels: string[]) {
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  expected.forEach((e, i) => {
    const row = matrix[index.get(e[0] ?? "") ?? -1];
    const col = index.get(predicted[i]?.[0] ?? "");
    if (row && col !== undefined) row[col] = (row[col] ?? 0) + 1;
  });
  return { labels, matrix };
}

/**
 * Expected calibration error over ECE_BINS equal-width bins: each bin's share of the points times
 * how far its mean confidence is from how often it was right.
 */
export function calibrationError(points: { confidence: number; right: boolean }[]): number {
  const bins = Array.from({ length: ECE_BINS }, () => ({ n: 0, confidence: 0, right: 0 }));
  for (const p of points) {
    const b = bins[Math.min(ECE_BINS - 1, Math.floor(p.confidence * ECE_BINS))];
    if (!b) continue;
    b.n++;
    b.confidence += p.confidence;
    b.right += p.right ? 1 : 0;
  }
  const total = points.length || 1;
  return bins.reduce(
    (s, b) => (b.n ? s + (b.n / total) * Math.abs((b.confidence - b.right) / b.n) : s),
    0,
  );
}

/** Scores without the temperature: softmax(T·log p) or sigmoid(T·logit p) undoes the division by T. */
export function untempered(scores: number[], temperature: number, multiLabel: boolean): number[] {
  const clamp = (p: number) => Math.min(1 - 1e-12, Math.max(1e-12, p));
  if (multiLabel)
    return scores.map(
      (p) => 1 / (1 + Math.exp(-temperature * Math.log(clamp(p) / (1 - clamp(p))))),
    );
  const z = scores.map((p) => temperature * Math.log(clamp(p)));
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** Calibration points: the top score (single-label) or every label's score (multi-label). */
function calibrationPoints(
  scores: Record<string, number>[],
  expected: string[][],
  labels: string[],
  multiLabel: boolean,
) {
  return scores.flatMap((s, i) => {
    const e = expected[i] ?? [];
    if (multiLabel) return labels.map((l) => ({ confidence: s[l] ?? 0, right: e.includes(l) }));
    const [label, confidence] = Object.entries(s).sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
    return [{ confidence, right: e.includes(label) }];
  });
}

/**
 * The baseline's labels: the most common training label (multi-label: every label more than half of
 * the training texts have), counted from the classifier's tailor_train.json, or on the held-out texts
 * when that is gone.
 */
export function majorityBaseline(
  folder: string,
  examples: LabelledExample[],
  multiLabel: boolean,
): ClassificationDetails["baseline"] {
  const file = join(folder, "tailor_train.json");
  const parsed = existsSync(file)
    ? TrainSummary.safeParse(JSON.parse(readFileSync(file, "utf8")))
    : null;
  let counts: Record<string, number>;
  let total: number;
  let counted_on: "training" | "held-out" = "training";
  if (parsed?.success) {
    counts = parsed.data.label_counts;
    total = parsed.data.train_examples;
  } else {
    counts = {};
    for (const e of examples) for (const l of e.labels) counts[l] = (counts[l] ?? 0) + 1;
    total = examples.length;
    counted_on = "held-out";
  }
  const sorted = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const labels = multiLabel
    ? sorted.filter(([, n]) => n > total / 2).map(([l]) => l)
    : sorted.slice(0, 1).map(([l]) => l);
  return { labels, counted_on };
}

export interface ClassifierEvalOptions {
  name: string;
  /** The classifier's folder (installed, or a run's output). */
  folder: string;
  examples: LabelledExample[];
  source: string;
  signal?: AbortSignal | undefined;
}

/** Labels the held-out texts with the classifier and scores it and the baseline. */
export async function evaluateClassifier(opts: ClassifierEvalOptions): Promise<EvaluationReport> {
  const settings = Settings.parse(
    JSON.parse(readFileSync(join(opts.folder, CLASSIFIER_FILE), "utf8")),
  );
  const { examples } = opts;
  const multi = settings.multi_label;
  const started = performance.now();
  const answer = await engineResult(
    "classify",
    { model_dir: opts.folder, input: examples.map((e) => e.text) },
    "classifications",
    opts.signal ? { signal: opts.signal } : {},
  );
  const seconds = (performance.now() - started) / 1000;
  const expected = examples.map((e) => e.labels);
  const predicted = answer.results.map((r) => r.predicted);
  const scores = answer.results.map((r) =>
    Object.fromEntries(r.labels.map((l) => [l.label, l.score])),
  );
  const baseline = majorityBaseline(opts.folder, examples, multi);
  const baselinePredicted = examples.map(() => baseline.labels);
  // labels the held-out texts use that the classifier never learned count too (it gets them wrong)
  const labels = [
    ...settings.labels,
    ...[...new Set(expected.flat())].filter((l) => !settings.labels.includes(l)).sort(),
  ];
  const model = labelScores(predicted, expected, labels);
  const base = labelScores(baselinePredicted, expected, labels);
  const scored = (name: string, s: typeof model, p: string[][], secs: number): ModelScores => ({
    model: name,
    metrics: { accuracy: s.accuracy, macro_f1: s.macroF1 },
    ...(multi ? {} : { confusion: confusionTable(p, expected, labels) }),
    seconds: secs,
    completion_tokens: 0,
  });
  const after = calibrationPoints(scores, expected, settings.labels, multi);
  const raw = scores.map((s) => {
    const values = untempered(
      settings.labels.map((l) => s[l] ?? 0),
      settings.temperature,
      multi,
    );
    return Object.fromEntries(settings.labels.map((l, i) => [l, values[i] ?? 0]));
  });
  const before = calibrationPoints(raw, expected, settings.labels, multi);
  const joined = (ls: string[]) => (ls.length ? ls.join(", ") : "(none)");
  const rows: ExampleResult[] = examples.map((e, i) => {
    const same = (a: string[]) =>
      a.length === e.labels.length && a.every((x) => e.labels.includes(x));
    const s = [same(predicted[i] ?? []) ? 1 : 0, same(baseline.labels) ? 1 : 0] as const;
    return {
      line: e.line,
      prompt: e.text,
      expected: joined(e.labels),
      outputs: [joined(predicted[i] ?? []), joined(baseline.labels)],
      scores: [...s],
      outcome: s[0] > s[1] ? "win" : s[1] > s[0] ? "loss" : "tie",
    };
  });
  const first = scored(opts.name, model, predicted, seconds);
  const second = scored(`always ${joined(baseline.labels)}`, base, baselinePredicted, 0);
  return {
    object: "tailor.evaluation",
    created_at: Math.floor(Date.now() / 1000),
    data: { source: opts.source, examples: examples.length },
    kind: "label",
    primary_metric: "accuracy",
    models: [first, second],
    deltas: { accuracy: model.accuracy - base.accuracy, macro_f1: model.macroF1 - base.macroF1 },
    outcome: {
      wins: rows.filter((r) => r.outcome === "win").length,
      ties: rows.filter((r) => r.outcome === "tie").length,
      losses: rows.filter((r) => r.outcome === "loss").length,
    },
    examples: rows,
    classification: {
      labels: settings.labels,
      multi_label: multi,
      per_label: model.perLabel,
      baseline,
      calibration: {
        temperature: settings.temperature,
        ece_before: calibrationError(before),
        ece_after: calibrationError(after),
      },
      ...(first.confusion ? { confusion: first.confusion } : {}),
    },
    settings: { max_tokens: 0, batch_size: examples.length, greedy: true },
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * Ready when the classifier beats the majority-label baseline on the held-out texts: accuracy above
 * the baseline's by at least `minDelta` (and above it at all), and macro-F1 above the baseline's. On
 * unbalanced data always answering the common label scores a high accuracy; macro-F1 weighs each label
 * alike, so a classifier that ignores the small labels does not pass.
 */
export function decideClassifierPromotion(
  report: EvaluationReport,
  opts: { model: string; minDelta?: number },
): Promotion {
  const minDelta = opts.minDelta ?? 0;
  const [tuned, base] = report.models;
  const a = tuned?.metrics.accuracy ?? 0;
  const b = base?.metrics.accuracy ?? 0;
  const f = tuned?.metrics.macro_f1 ?? 0;
  const g = base?.metrics.macro_f1 ?? 0;
  const baseline = report.classification?.baseline.labels.join(", ") || "no label";
  const ready = a > b + 1e-12 && a >= b + minDelta - 1e-12 && f > g + 1e-12;
  const scores = `It labels ${pct(a)} of the ${report.data.examples} held-out texts right (macro-F1 ${pct(f)}), against ${pct(b)} (macro-F1 ${pct(g)}) for always answering "${baseline}", the most common training label`;
  const why =
    "a classifier has no base model that could answer, so it must do better than that guess";
  return {
    status: ready ? "ready" : "needs_review",
    reason: ready
      ? `${scores}; ${why}${minDelta > 0 ? ` by ${pct(minDelta)}` : ""}, and it does.`
      : `${scores}; ${why}${minDelta > 0 ? ` by ${pct(minDelta)} in accuracy` : " in accuracy"} and in macro-F1. Look at the confusion table (\`tailor eval ${opts.model} --data FILE --html report.html\`), add examples of the labels it mixes up, and train again.`,
    metric: "accuracy",
    model_score: a,
    base_score: b,
    min_delta: minDelta,
    decided_at: Math.floor(Date.now() / 1000),
  };
}
