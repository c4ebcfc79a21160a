import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { diagnoseUnderfitting } from "./underfitting.ts";

/** `n` steps of `f(t)` for t in [0, 1], with a repeatable wobble of `noise` (a share of the loss). */
function curve(n: number, f: (t: number) => number, noise = 0): [number, number][] {
  let seed = 7;
  const rand = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647 - 0.5;
  };
  return Array.from({ length: n }, (_, i) => {
    const y = f(i / (n - 1));
    return [i + 1, y * (1 + noise * 2 * rand())];
  });
}

describe("underfitting from the training-loss curve", () => {
  test("a flat curve: the loss did not go down, with what to do", () => {
    const d = diagnoseUnderfitting(curve(40, () => 2.3, 0.1));
    assert.equal(d?.kind, "flat");
    assert.match(d?.message ?? "", /Training loss did not go down/);
    assert.match(d?.message ?? "", /Raise the learning rate .* train more epochs/);
    assert.match(d?.message ?? "", /check that the examples' answers are consistent/);
  });

  test("a curve rising from the start is flat too (no better than at the start)", () => {
    assert.equal(diagnoseUnderfitting(curve(20, (t) => 0.69 + 0.1 * t))?.kind, "flat");
  });

  test("a loss still falling steadily at the end: train more", () => {
    const d = diagnoseUnderfitting(curve(60, (t) => 3 - 1.5 * t, 0.05));
    assert.equal(d?.kind, "still_falling");
    assert.match(d?.message ?? "", /still falling when training ended/);
    assert.match(d?.message ?? "", /Train more epochs/);
    assert.ok((d?.start ?? 0) > (d?.end ?? 0));
  });

  test("a curve with a floor cut off early is still falling", () => {
    // 1 + 2 e^(-t/0.8): a third of the way from its floor when it ends
    const d = diagnoseUnderfitting(curve(50, (t) => 1 + 2 * Math.exp(-t / 0.8), 0.03));
    assert.equal(d?.kind, "still_falling");
  });

  test("a curve that levelled off is fine, noisy or not", () => {
    const levelled = (t: number) => 0.8 + 2 * Math.exp(-t / 0.12);
    assert.equal(diagnoseUnderfitting(curve(60, levelled)), null);
    assert.equal(diagnoseUnderfitting(curve(60, levelled, 0.15)), null);
  });

  test("a loss near its floor is learned even if it still falls", () => {
    assert.equal(diagnoseUnderfitting(curve(40, (t) => 2 * Math.exp(-4 * t))), null);
  });

  test("still falling but validation loss rose, or the guard stopped it: overfitting, not underfitting", () => {
    const train = curve(60, (t) => 3 - 1.5 * t);
    const rising: [number, number][] = [
      [20, 1.9],
      [40, 1.7],
      [60, 1.95],
    ];
    assert.equal(diagnoseUnderfitting(train, { val: rising }), null);
    assert.equal(diagnoseUnderfitting(train, { stoppedEarly: true }), null);
    const falling: [number, number][] = [
      [20, 2.2],
      [40, 2.0],
      [60, 1.8],
    ];
    assert.equal(diagnoseUnderfitting(train, { val: falling })?.kind, "still_falling");
  });

  test("too few steps to tell", () => {
    assert.equal(diagnoseUnderfitting(curve(9, () => 2)), null);
    assert.equal(diagnoseUnderfitting([]), null);
  });
});
