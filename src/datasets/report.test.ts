import assert from "node:assert/strict";
import { test } from "node:test";
import { extent, histogram, median } from "./report.ts";

test("histogram bins cover every value, and large inputs do not overflow the stack", () => {
  const values = Array.from({ length: 300_000 }, (_, i) => i % 1000);
  const bins = histogram(values);
  assert.equal(
    bins.reduce((s, b) => s + b.count, 0),
    values.length,
  );
  assert.deepEqual([bins[0]?.from, bins.at(-1)?.to], [0, 999]);
  assert.deepEqual(extent(values), { min: 0, max: 999 });
  assert.deepEqual(histogram([7]), [{ from: 7, to: 7, count: 1 }]);
  assert.deepEqual(histogram([]), []);
});

test("median of odd and even counts", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});
