import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultEpochs, resolveHyperparameters } from "./hyperparameters.ts";

test("epochs follow OpenAI's rule: 3, raised for small sets, lowered for large ones, within 1..25", () => {
  assert.equal(defaultEpochs(1), 25);
  assert.equal(defaultEpochs(12), 9); // 12 * 9 = 108 >= 100
  assert.equal(defaultEpochs(40), 3);
  assert.equal(defaultEpochs(5000), 3);
  assert.equal(defaultEpochs(10_000), 2);
  assert.equal(defaultEpochs(100_000), 1);
});

test("values given by the user win, and every value says where it came from", () => {
  const hp = resolveHyperparameters({ epochs: 2, loraRank: 16 }, 40);
  assert.equal(hp.epochs, 2);
  assert.equal(hp.loraRank, 16);
  assert.equal(hp.loraAlpha, 32);
  assert.equal(hp.batchSize, 4);
  assert.equal(hp.explanations.length, 5);
  assert.match(hp.explanations[0] ?? "", /epochs: 2 \(set by you\)/);
  assert.match(hp.explanations[1] ?? "", /batch size: 4 \(auto/);
});

test("the batch is never larger than the data", () => {
  assert.equal(resolveHyperparameters({}, 2).batchSize, 2);
});
