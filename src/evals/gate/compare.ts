/**
 * The gate's comparison: the version in use and the candidate answer the same examples of each set
 * (greedy, the same max tokens, in one engine run per set), scored with the evaluation's own scoring
 * (src/evals/evaluate.ts), and each example's two scores kept so the rule can count better, worse
 * and broken. A set with no examples is not run (the rule says why it is missing).
 */
import type { MetricName } from "../../../protocol/evals.ts";
import type { RegressionExample } from "../../../protocol/review.ts";
import { type EvalExample, type EvalModel, type EvaluateOptions, evaluate } from "../evaluate.ts";

/** The three sets of the gate, in the order they are run and told. */
export const GATE_ROLES = ["original", "corrections", "regression"] as const;
export type GateRole = (typeof GATE_ROLES)[number];

/** What each set is called in the decision (GateSet.name). */
export const GATE_SET_NAMES: Record<GateRole, string> = {
  original: "original held-out",
  corrections: "accepted corrections held out",
  regression: "regression set",
};

/** One set's examples and where they came from (a dataset id, a file, or the name's pinned set). */
export interface GateInputSet {
  source: string;
  examples: EvalExample[];
}

/** One example: what was asked, and each version's score on it (0-1, the primary metric's). */
export interface ExampleScores {
  prompt: string;
  current: number;
  candidate: number;
}

/** One set scored for both versions. */
export interface SetScores {
  role: GateRole;
  source: string;
  metric: MetricName;
  /** The primary metric over the whole set. */
  current: number;
  candidate: number;
  rows: ExampleScores[];
}

/** Each set's scores; null where the set is missing or empty. */
export type GateScores = Record<GateRole, SetScores | null>;

/** evaluate(), or a fake of it in unit tests. */
export type Evaluator = typeof evaluate;

export interface CompareOptions {
  current: EvalModel;
  candidate: EvalModel;
  /** Null or without examples: missing. */
  sets: Record<GateRole, GateInputSet | null>;
  evaluator?: Evaluator | undefined;
  maxTokens?: number | undefined;
  batchSize?: number | undefined;
  signal?: AbortSignal | undefined;
  /** How many answers the whole comparison generates (both versions, every set). */
  onStart?: ((answers: number) => void) | undefined;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** A pinned example as the evaluation reads one. */
export function regressionExamples(pinned: RegressionExample[]): EvalExample[] {
  return pinned.map((p, i) => ({ line: i + 1, messages: p.messages, expected: p.expected }));
}

/** Both versions on every set that has examples; the candidate answers first, as a job's test does. */
export async function compareVersions(opts: CompareOptions): Promise<GateScores> {
  const run = opts.evaluator ?? evaluate;
  const present = GATE_ROLES.filter((r) => (opts.sets[r]?.examples.length ?? 0) > 0);
  const total = present.reduce((s, r) => s + (opts.sets[r]?.examples.length ?? 0) * 2, 0);
  opts.onStart?.(total);
  const scores: GateScores = { original: null, corrections: null, regression: null };
  let offset = 0;
  for (const role of present) {
    const set = opts.sets[role] as GateInputSet;
    const request: EvaluateOptions = {
      model: opts.candidate,
      compare: opts.current,
      examples: set.examples,
      source: set.source,
      maxTokens: opts.maxTokens,
      batchSize: opts.batchSize,
      signal: opts.signal,
      onProgress: (done) => opts.onProgress?.(offset + done, total),
    };
    const report = await run(request);
    const metric = report.primary_metric;
    const rows = report.examples.map((e) => ({
      prompt: e.prompt,
      candidate: e.scores[0] ?? 0,
      current: e.scores[1] ?? 0,
    }));
    scores[role] = {
      role,
      source: set.source,
      metric,
      candidate: report.models[0]?.metrics[metric] ?? mean(rows.map((r) => r.candidate)),
      current: report.models[1]?.metrics[metric] ?? mean(rows.map((r) => r.current)),
      rows,
    };
    offset += set.examples.length * 2;
    opts.onProgress?.(offset, total);
  }
  return scores;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
}
