import type { PiiType } from "../safety/index.ts";
import type { GroupRates } from "./group-rates.ts";
import type { ProblemCode } from "./read/index.ts";

export type ErrorCode =
  | ProblemCode
  | "too_long_for_model"
  | "too_few_examples"
  | "file_unreadable"
  /** Labelled texts and other examples in one file (or a training and validation file that differ). */
  | "mixed_formats"
  /** Labelled texts that all have the same label. */
  | "too_few_labels";
export type WarningCode =
  | "few_examples"
  | "duplicate"
  | "near_duplicate"
  | "in_training_and_validation"
  | "uneven_lengths"
  | "will_be_cut"
  | "similar_outputs"
  /** A function offered in the set's tools that no example calls. */
  | "tool_never_called"
  /** Two or more functions defined, and every call to the same one. */
  | "one_function_called"
  /** Labelled texts: a label with too few examples to learn. */
  | "rare_label"
  /** Labelled texts: the largest label has many times the examples of the smallest. */
  | "label_imbalance"
  /** Labelled texts: the same text under different labels. */
  | "label_conflict"
  /** Labelled texts: a validation label that no training example has. */
  | "unseen_label"
  /** Classification-like data: a label far more common for texts about one group than another. */
  | "group_label_gap"
  /** An answer (assistant message) the moderation model flags: the model would learn to say it. */
  | "harmful_answer";

export interface Issue<C extends string> {
  /** 1-based line of the example in its file (the first line, for CSV rows spanning lines). */
  line?: number;
  /** Other lines involved (e.g. the earlier copy of a duplicate). */
  lines?: number[];
  file?: string;
  field?: string;
  code: C;
  message: string;
}

export interface PiiIssue {
  line: number;
  file: string;
  field: string;
  type: PiiType;
  /** What was found, mostly masked so the report itself leaks little. */
  preview: string;
  message: string;
}

export interface Histogram {
  from: number;
  to: number;
  count: number;
}

/** Labelled texts (classification): the labels and how many examples have each. */
export interface LabelSummary {
  /** Training examples per label, most common first. */
  counts: Record<string, number>;
  validation_counts: Record<string, number>;
  /** Some text has more (or fewer) than one label. */
  multi_label: boolean;
  /** The largest label's count over the smallest's. */
  imbalance: number | null;
}

export interface DataStats {
  examples: number;
  validation_examples: number;
  base: string | null;
  context_length: number | null;
  tokens: { min: number; median: number; max: number; mean: number; histogram: Histogram[] } | null;
  tokens_per_epoch: number | null;
  epochs: number;
  estimated_training_seconds: number | null;
  tokens_per_second: number | null;
  /** Calls in the training examples' assistant messages. */
  tool_calls: number;
  /** Training examples that offer functions (`tools`). */
  examples_with_tools: number;
  /** Labelled texts only. */
  labels?: LabelSummary | null;
  /** Preference pairs only (DPO data): how many training examples are pairs. */
  preference_pairs?: number;
  /** Classification-like data: label counts by the groups the texts mention (group-rates.ts). */
  group_rates?: GroupRates | null;
}

export interface DataReport {
  ok: boolean;
  file: string;
  val_file: string | null;
  examples: number;
  errors: Issue<ErrorCode>[];
  warnings: Issue<WarningCode>[];
  stats: DataStats;
  pii: PiiIssue[];
  pii_counts: Partial<Record<PiiType, number>>;
}

export function histogram(values: number[], bins = 10): Histogram[] {
  if (values.length === 0) return [];
  const { min, max } = extent(values);
  const width = Math.max(1, Math.ceil((max - min + 1) / bins));
  const out: Histogram[] = [];
  for (let from = min; from <= max; from += width)
    out.push({ from, to: from + width - 1, count: 0 });
  for (const v of values) {
    const bin = out[Math.min(out.length - 1, Math.floor((v - min) / width))];
    if (bin) bin.count++;
  }
  return out;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Smallest and largest value, without spreading (a spread of 100,000+ values overflows the stack). */
export function extent(values: Iterable<number>): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}
