import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultEpochs, resolveHyperparameters } from "./hyperparameters.ts";

const small = { baseParameters: 134_515_008 };

test("DPO's auto settings: beta 0.1, a fifth of the supervised rate, OpenAI's epochs, each explained", () => {
  const sft = resolveHyperparameters({}, 40, small);
  const dpo = resolveHyperparameters({}, 40, { ...small, method: "dpo" });
  assert.equal(sft.beta, undefined);
  assert.equal(dpo.beta, 0.1);
  assert.equal(dpo.learningRate, sft.learningRate / 5);
  assert.equal(dpo.epochs, defaultEpochs(40));
  assert.match(
    dpo.explanations.find((l) => l.startsWith("beta")) ?? "",
    /beta: 0\.1 \(auto: how far/,
  );
  assert.match(
    dpo.explanations.find((l) => l.startsWith("learning rate")) ?? "",
    /a fifth of the supervised rate/,
  );
});

test("a beta given is kept and said to be yours; the learning rate multiplier scales DPO's rate", () => {
  const dpo = resolveHyperparameters({ beta: 0.3, learningRateMultiplier: 2 }, 40, {
    ...small,
    method: "dpo",
  });
  assert.equal(dpo.beta, 0.3);
  assert.ok(dpo.explanations.includes("beta: 0.3 (set by you)"));
  assert.equal(dpo.learningRate, (1e-3 / 5) * 2);
});
