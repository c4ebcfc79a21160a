/**
 * Training the moderation head on embedded, labelled texts: for each category, the L2 strength is
 * chosen by k-fold cross-validation on the training set (best out-of-fold average precision), the
 * threshold from the same out-of-fold scores (the best F0.5, which weighs precision over recall; or
 * the lowest that keeps precision at a target), and the final probe is fitted on the whole
 * training set. Deterministic:
 * the folds come from a fixed seed and the optimiser has no randomness.
 */
import { MODERATION_CATEGORIES, type ModerationCategory } from "../../../protocol/moderation.ts";
import { fitLogistic, type LinearHead, logOdds, sigmoid } from "./logistic.ts";

export interface FitOptions {
  folds: number;
  seed: number;
  /**
   * Out-of-fold precision the threshold keeps (when some threshold reaches it; null: no target,
   * the threshold with the best F-beta).
   */
  targetPrecision: number | null;
  /** Where no threshold reaches the target: the best F-beta (beta < 1 weighs precision more). */
  beta: number;
  /** L2 strengths tried per category. */
  l2Grid: number[];
  onProgress?: ((line: string) => void) | undefined;
}

export const DEFAULT_FIT: FitOptions = {
  folds: 5,
  seed: 19,
  // chosen by nested cross-validation on the training set (MODEL_CARD.md): F0.5 gave 87% precision
  // and 82% recall over all groups, precision >= 90% only 69% recall, F1 80% precision
  targetPrecision: null,
  beta: 0.5,
  l2Grid: [1e-4, 1e-3, 1e-2],
};

export interface FittedCategory extends LinearHead {
  threshold: number;
  l2: number;
  positives: number;
  /** Out-of-fold figures on the training set at the threshold. */
  cv: { precision: number; recall: number; averagePrecision: number };
}

/** A deterministic pseudo-random generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fold of each example: shuffled with the seed, then dealt out per stratum so rare labels spread. */
export function assignFolds(strata: string[], folds: number, seed: number): number[] {
  const random = rng(seed);
  const order = strata.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const out = new Array<number>(strata.length).fill(0);
  const dealt = new Map<string, number>();
  for (const i of order) {
    const s = strata[i] as string;
    const k = dealt.get(s) ?? 0;
    out[i] = k % folds;
    dealt.set(s, k + 1);
  }
  return out;
}

const positiveWeight = (ys: Uint8Array): number => {
  let pos = 0;
  for (const y of ys) pos += y;
  return pos === 0 ? 1 : Math.min(20, (ys.length - pos) / pos);
};

/** Out-of-fold probabilities of one category at one L2 strength. */
function outOfFold(xs: Float64Array[], ys: Uint8Array, fold: number[], k: number, l2: number) {
  const scores = new Float64Array(xs.length);
  for (let f = 0; f < k; f++) {
    const trainX: Float64Array[] = [];
    const trainY: number[] = [];
    for (let i = 0; i < xs.length; i++) {
      if (fold[i] === f) continue;
      trainX.push(xs[i] as Float64Array);
      trainY.push(ys[i] as number);
    }
    const head = fitLogistic(trainX, trainY, { l2, positiveWeight: positiveWeight(ys) });
    for (let i = 0; i < xs.length; i++) {
      if (fold[i] === f) scores[i] = sigmoid(logOdds(head, xs[i] as Float64Array));
    }
  }
  return scores;
}

/** Average precision (area under the precision-recall curve, step-wise). */
export function averagePrecision(scores: ArrayLike<number>, ys: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number),
  );
  let positives = 0;
  for (let i = 0; i < ys.length; i++) positives += ys[i] as number;
  if (positives === 0) return 0;
  let tp = 0;
  let sum = 0;
  order.forEach((i, rank) => {
    if (ys[i] === 1) {
      tp++;
      sum += tp / (rank + 1);
    }
  });
  return sum / positives;
}

/**
 * The threshold on scores: the lowest at which precision is still at least `target` (most recall),
 * or where F-beta is best if no threshold reaches the target (or there is none). Placed halfway (in log-odds) between the
 * lowest score flagged and the next one below it.
 */
export function chooseThreshold(
  scores: ArrayLike<number>,
  ys: ArrayLike<number>,
  target: number | null,
  beta = 1,
): { threshold: number; precision: number; recall: number } {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number),
  );
  let positives = 0;
  for (let i = 0; i < ys.length; i++) positives += ys[i] as number;
  let tp = 0;
  let bestTarget = -1;
  let bestF1 = -1;
  let bestF1At = 0;
  for (let r = 0; r < order.length; r++) {
    tp += ys[order[r] as number] as number;
    // a cut is only possible between different scores
    const next = order[r + 1];
    if (next !== undefined && scores[next] === scores[order[r] as number]) continue;
    const precision = tp / (r + 1);
    const recall = positives === 0 ? 0 : tp / positives;
    if (target !== null && precision >= target && tp > 0) bestTarget = r;
    const b2 = beta * beta;
    const f1 =
      precision + recall === 0 ? 0 : ((1 + b2) * precision * recall) / (b2 * precision + recall);
    if (f1 > bestF1) {
      bestF1 = f1;
      bestF1At = r;
    }
  }
  const cut = bestTarget >= 0 ? bestTarget : bestF1At;
  const low = scores[order[cut] as number] as number;
  const below = order[cut + 1] === undefined ? 0 : (scores[order[cut + 1] as number] as number);
  const logit = (p: number) => Math.log(Math.max(p, 1e-9) / Math.max(1 - p, 1e-9));
  const threshold = Math.min(0.99, Math.max(0.01, sigmoid((logit(low) + logit(below)) / 2)));
  let tpAt = 0;
  let flaggedAt = 0;
  for (let i = 0; i < scores.length; i++) {
    if ((scores[i] as number) >= threshold) {
      flaggedAt++;
      tpAt += ys[i] as number;
    }
  }
  return {
    threshold,
    precision: flaggedAt === 0 ? 0 : tpAt / flaggedAt,
    recall: positives === 0 ? 0 : tpAt / positives,
  };
}

/** Fits every category's probe and threshold. `labels[c][i]` is 1 when text i is in category c. */
export function fitHead(
  xs: Float64Array[],
  labels: Record<ModerationCategory, Uint8Array>,
  strata: string[],
  opts: FitOptions = DEFAULT_FIT,
): Record<ModerationCategory, FittedCategory> {
  const fold = assignFolds(strata, opts.folds, opts.seed);
  const out = {} as Record<ModerationCategory, FittedCategory>;
  for (const c of MODERATION_CATEGORIES) {
    const ys = labels[c];
    const positives = ys.reduce((s, y) => s + y, 0);
    let best = { l2: opts.l2Grid[0] as number, ap: -1, scores: new Float64Array(xs.length) };
    for (const l2 of opts.l2Grid) {
      const scores = outOfFold(xs, ys, fold, opts.folds, l2);
      const ap = averagePrecision(scores, ys);
      if (ap > best.ap) best = { l2, ap, scores };
    }
    const t = chooseThreshold(best.scores, ys, opts.targetPrecision, opts.beta);
    const head = fitLogistic(xs, ys, { l2: best.l2, positiveWeight: positiveWeight(ys) });
    out[c] = {
      ...head,
      threshold: t.threshold,
      l2: best.l2,
      positives,
      cv: { precision: t.precision, recall: t.recall, averagePrecision: best.ap },
    };
    opts.onProgress?.(
      `${c}: ${positives} positives, l2 ${best.l2}, threshold ${t.threshold.toFixed(3)}, out-of-fold precision ${t.precision.toFixed(3)} recall ${t.recall.toFixed(3)} AP ${best.ap.toFixed(3)}`,
    );
  }
  return out;
}
