/**
 * Binary logistic regression on fixed features (a linear probe on sentence embeddings): minimises
 * the mean weighted log-loss plus `l2 / 2 * |w|^2` (the bias is not penalised) with L-BFGS and a
 * backtracking line search. Deterministic: no randomness, starts from zero, a fixed iteration cap.
 */

export interface LogisticOptions {
  /** Strength of the L2 penalty on the weights. */
  l2: number;
  /** Weight of each positive example relative to a negative one (e.g. to balance a rare class). */
  positiveWeight?: number;
  maxIterations?: number;
  /** Stop when the gradient's largest component is below this. */
  tolerance?: number;
}

export interface LinearHead {
  weights: Float64Array;
  bias: number;
}

export const sigmoid = (z: number): number =>
  z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));

export const logit = (p: number): number => {
  const q = Math.min(1 - 1e-9, Math.max(1e-9, p));
  return Math.log(q / (1 - q));
};

export function dot(w: ArrayLike<number>, x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += (w[i] as number) * (x[i] as number);
  return s;
}

/** The head's raw score (log-odds) of one feature vector. */
export const logOdds = (head: LinearHead, x: ArrayLike<number>): number =>
  dot(head.weights, x) + head.bias;

/** Fits one head: `xs` are the feature vectors, `ys` 1 (positive) or 0. */
export function fitLogistic(
  xs: ArrayLike<number>[],
  ys: ArrayLike<number>,
  opts: LogisticOptions,
): LinearHead {
  const n = xs.length;
  const d = xs[0]?.length ?? 0;
  const dim = d + 1; // the last parameter is the bias
  const pw = opts.positiveWeight ?? 1;
  let totalWeight = 0;
  for (let i = 0; i < n; i++) totalWeight += ys[i] === 1 ? pw : 1;
  const scale = 1 / Math.max(totalWeight, 1e-12);

  const evaluate = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const b = theta[d] as number;
    for (let i = 0; i < n; i++) {
      const x = xs[i] as ArrayLike<number>;
      const y = ys[i] as number;
      const wi = (y === 1 ? pw : 1) * scale;
      let z = b;
      for (let j = 0; j < d; j++) z += (theta[j] as number) * (x[j] as number);
      // log(1 + e^-z) for y = 1, log(1 + e^z) for y = 0, computed without overflow
      const m = y === 1 ? -z : z;
      loss += wi * (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m)));
      const r = wi * (sigmoid(z) - y);
      for (let j = 0; j < d; j++) grad[j] = (grad[j] as number) + r * (x[j] as number);
      grad[d] = (grad[d] as number) + r;
    }
    for (let j = 0; j < d; j++) {
      const t = theta[j] as number;
      loss += 0.5 * opts.l2 * t * t;
      grad[j] = (grad[j] as number) + opts.l2 * t;
    }
    return loss;
  };

  const theta = lbfgs(evaluate, dim, opts.maxIterations ?? 300, opts.tolerance ?? 1e-6);
  return { weights: theta.slice(0, d), bias: theta[d] as number };
}

/** Minimises a smooth convex function from the origin (memory of 10 steps). */
function lbfgs(
  f: (theta: Float64Array, grad: Float64Array) => number,
  dim: number,
  maxIterations: number,
  tolerance: number,
): Float64Array {
  const memory = 10;
  let theta = new Float64Array(dim);
  let grad = new Float64Array(dim);
  let value = f(theta, grad);
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const rhos: number[] = [];
  const next = new Float64Array(dim);
  const nextGrad = new Float64Array(dim);
  for (let iter = 0; iter < maxIterations; iter++) {
    if (maxAbs(grad) < tolerance) break;
    // two-loop recursion: direction = -H * grad
    const q = Float64Array.from(grad);
    const alphas: number[] = [];
    for (let k = ss.length - 1; k >= 0; k--) {
      const a = (rhos[k] as number) * dot(ss[k] as Float64Array, q);
      alphas[k] = a;
      axpy(-a, ys[k] as Float64Array, q);
    }
    if (ss.length > 0) {
      const s = ss[ss.length - 1] as Float64Array;
      const y = ys[ys.length - 1] as Float64Array;
      const gamma = dot(s, y) / dot(y, y);
      for (let j = 0; j < dim; j++) q[j] = (q[j] as number) * gamma;
    }
    for (let k = 0; k < ss.length; k++) {
      const b = (rhos[k] as number) * dot(ys[k] as Float64Array, q);
      axpy((alphas[k] as number) - b, ss[k] as Float64Array, q);
    }
    for (let j = 0; j < dim; j++) q[j] = -(q[j] as number);
    let slope = dot(grad, q);
    if (slope >= 0) {
      // not a descent direction (numerical trouble): restart from steepest descent
      ss.length = 0;
      ys.length = 0;
      rhos.length = 0;
      for (let j = 0; j < dim; j++) q[j] = -(grad[j] as number);
      slope = dot(grad, q);
    }
    // backtracking (Armijo); the first step of a fresh start is kept small
    let step = ss.length === 0 ? Math.min(1, 1 / Math.max(maxAbs(grad), 1e-12)) : 1;
    let nextValue = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 40; tries++) {
      for (let j = 0; j < dim; j++) next[j] = (theta[j] as number) + step * (q[j] as number);
      nextValue = f(next, nextGrad);
      if (nextValue <= value + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(nextValue < value)) break; // no progress possible
    const s = new Float64Array(dim);
    const y = new Float64Array(dim);
    for (let j = 0; j < dim; j++) {
      s[j] = (next[j] as number) - (theta[j] as number);
      y[j] = (nextGrad[j] as number) - (grad[j] as number);
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      ss.push(s);
      ys.push(y);
      rhos.push(1 / sy);
      if (ss.length > memory) {
        ss.shift();
        ys.shift();
        rhos.shift();
      }
    }
    theta = Float64Array.from(next);
    grad = Float64Array.from(nextGrad);
    const improvement = value - nextValue;
    value = nextValue;
    if (improvement < 1e-12 * Math.max(1, Math.abs(value))) break;
  }
  return theta;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let j = 0; j < y.length; j++) y[j] = (y[j] as number) + a * (x[j] as number);
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}
