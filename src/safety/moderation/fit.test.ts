import assert from "node:assert/strict";
import { test } from "node:test";
import { assignFolds, averagePrecision, chooseThreshold, rng } from "./fit.ts";
import { fitLogistic, logOdds, sigmoid } from "./logistic.ts";

/** Two clouds in 8 dimensions: positives around +m, negatives around -m on the first axis. */
function clouds(n: number, seed: number, spread = 1) {
  const random = rng(seed);
  const xs: Float64Array[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = i % 3 === 0 ? 1 : 0;
    const x = Float64Array.from({ length: 8 }, () => (random() - 0.5) * spread);
    x[0] = (x[0] as number) + (y ? 1 : -1);
    xs.push(x);
    ys.push(y);
  }
  return { xs, ys };
}

test("a logistic probe separates two clouds, and refits to the same weights", () => {
  const { xs, ys } = clouds(300, 1);
  const head = fitLogistic(xs, ys, { l2: 1e-3 });
  const right = xs.filter((x, i) => sigmoid(logOdds(head, x)) >= 0.5 === (ys[i] === 1)).length;
  assert.ok(right / xs.length > 0.97, `${right}/${xs.length} right`);
  assert.ok((head.weights[0] as number) > 1, "the separating axis carries the weight");
  const again = fitLogistic(xs, ys, { l2: 1e-3 });
  assert.deepEqual(Array.from(again.weights), Array.from(head.weights));
  assert.equal(again.bias, head.bias);
});

test("a stronger L2 penalty gives smaller weights", () => {
  const { xs, ys } = clouds(200, 2);
  const norm = (l2: number) => Math.hypot(...Array.from(fitLogistic(xs, ys, { l2 }).weights));
  assert.ok(norm(1) < norm(1e-2));
});

test("the threshold keeps precision at the target with the most recall, else the best F1", () => {
  // ranked: + + - + - - +  (scores descending)
  const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3];
  const ys = [1, 1, 0, 1, 0, 0, 1];
  const strict = chooseThreshold(scores, ys, 1);
  assert.ok(strict.threshold < 0.8 && strict.threshold > 0.7, String(strict.threshold));
  assert.deepEqual([strict.precision, strict.recall], [1, 0.5]);
  const looser = chooseThreshold(scores, ys, 0.75);
  assert.ok(looser.threshold < 0.6 && looser.threshold > 0.5, String(looser.threshold));
  assert.deepEqual([looser.precision, looser.recall], [0.75, 0.75]);
  const none = chooseThreshold([0.9, 0.8], [0, 1], 0.99);
  assert.equal(none.recall, 1, "no threshold reaches the target: the best F1 flags the positive");
});

test("average precision is 1 for a perfect ranking and lower otherwise", () => {
  assert.equal(averagePrecision([0.9, 0.8, 0.1], [1, 1, 0]), 1);
  assert.ok(averagePrecision([0.9, 0.8, 0.1], [0, 1, 1]) < 0.6);
});

test("folds are deterministic and spread each stratum over every fold", () => {
  const strata = [...Array(10).fill("rare"), ...Array(90).fill("none")];
  const a = assignFolds(strata, 5, 19);
  assert.deepEqual(assignFolds(strata, 5, 19), a);
  const rareFolds = a.filter((_, i) => strata[i] === "rare").sort();
  assert.deepEqual(rareFolds, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
});
