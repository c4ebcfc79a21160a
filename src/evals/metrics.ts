/**
 * Scores of a model's answers against the expected ones, chosen by what the answers look like:
 * free text (exact match, token F1, ROUGE-L, length ratio), JSON objects (valid rate, per-field
 * accuracy) or short labels (accuracy, macro-F1, a confusion table). The first part of the
 * evaluation issue; nothing calls it from the CLI yet.
 */
import { l as rougeLsum } from "js-rouge";

/** Unicode-aware words: runs of letters, marks and digits; each CJK character is a word of its own. */
const WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{M}\p{N}]+/gu;

export function normalize(text: string): string {
  return text.normalize("NFC").trim().replace(/\s+/g, " ");
}

export function words(text: string): string[] {
  return normalize(text).toLocaleLowerCase().match(WORD) ?? [];
}

/** 1 when the answers are the same after Unicode normalisation and whitespace folding. */
export function exactMatch(predicted: string, expected: string): number {
  return normalize(predicted) === normalize(expected) ? 1 : 0;
}

/** SQuAD's token F1 on bags of words; two empty answers agree (1), one empty answer scores 0. */
export function tokenF1(predicted: string, expected: string): number {
  const p = words(predicted);
  const e = words(expected);
  if (p.length === 0 || e.length === 0) return p.length === e.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const w of e) counts.set(w, (counts.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of p) {
    const n = counts.get(w) ?? 0;
    if (n > 0) {
      common++;
      counts.set(w, n - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / e.length;
  return (2 * precision * recall) / (precision + recall);
}

/** ROUGE-L F-measure (js-rouge, summary-level LCS) on the same words as token F1. */
export function rougeL(predicted: string, expected: string): number {
  const p = words(predicted);
  const e = words(expected);
  if (p.length === 0 || e.length === 0) return p.length === e.length ? 1 : 0;
  return rougeLsum(normalize(predicted), normalize(expected), {
    caseSensitive: false,
    tokenizer: (s: string) => words(s),
  });
}

/** Predicted length over expected length, in words (1: same length). */
export function lengthRatio(predicted: string, expected: string): number {
  return words(predicted).length / Math.max(1, words(expected).length);
}

/** The text as a JSON object, or null when it is not one. */
export function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text.trim());
    return v !== null && typeof v === "object" && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * For an expected JSON object: whether the answer is a JSON object, and how many of the expected
 * fields it got exactly right. Null when the expected answer is not a JSON object.
 */
export function jsonFields(
  predicted: string,
  expected: string,
): { valid: boolean; fields: number; correct: number } | null {
  const want = parseObject(expected);
  if (!want) return null;
  const got = parseObject(predicted);
  const keys = Object.keys(want);
  const correct = got
    ? keys.filter((k) => JSON.stringify(got[k]) === JSON.stringify(want[k])).length
    : 0;
  return { valid: got !== null, fields: keys.length, correct };
}

export interface Classification {
  accuracy: number;
  /** The mean of each label's F1 (labels never predicted nor expected are not counted). */
  macroF1: number;
  labels: string[];
  /** confusion[i][j]: expected labels[i], predicted labels[j]. */
  confusion: number[][];
}

/** Accuracy, macro-F1 and the confusion table of label answers (compared after normalisation). */
export function classify(predicted: string[], expected: string[]): Classification {
  const p = predicted.map(normalize);
  const e = expected.map(normalize);
  const labels = [...new Set([...e, ...p])].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const confusion = labels.map(() => labels.map(() => 0));
  for (const [i, want] of e.entries()) {
    const row = confusion[index.get(want) ?? 0];
    const col = index.get(p[i] ?? "") ?? 0;
    if (row) row[col] = (row[col] ?? 0) + 1;
  }
  const f1s = labels.map((_, k) => {
    const tp = confusion[k]?.[k] ?? 0;
    const predictedK = confusion.reduce((s, row) => s + (row[k] ?? 0), 0);
    const expectedK = confusion[k]?.reduce((s, v) => s + v, 0) ?? 0;
    return tp === 0 ? 0 : (2 * tp) / (predictedK + expectedK);
  });
  const correct = e.filter((want, i) => want === p[i]).length;
  return {
    accuracy: e.length ? correct / e.length : 0,
    macroF1: f1s.length ? f1s.reduce((s, v) => s + v, 0) / f1s.length : 0,
    labels,
    confusion,
  };
}

export type OutputKind = "json" | "label" | "text";

/**
 * What the expected answers are: JSON objects, short labels (a few words, drawn from a small set
 * that repeats), or free text.
 */
export function outputKind(expected: string[]): OutputKind {
  if (expected.length > 0 && expected.every((x) => parseObject(x) !== null)) return "json";
  const distinct = new Set(expected.map(normalize));
  const short = expected.every((x) => words(x).length > 0 && words(x).length <= 3);
  if (short && distinct.size <= Math.max(2, Math.floor(expected.length / 2)) && distinct.size <= 50)
    return "label";
  return "text";
}
