/**
 * Underfitting through a real job (`bin/tailor`, the real engine, the tiny model): at a learning rate
 * far too small to move the weights, the training loss stays where it started, and the job's result
 * and the model card say so, with what to do. At a working rate, they do not.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { cliSandbox, supportJsonl } from "../cli/__fixtures__/cli.ts";

const { tailor, file, tiny } = cliSandbox("tailor-underfit-", { HF_HUB_OFFLINE: "1" });

/** Trains the tiny model on the 16 support examples one at a time (16 steps); the completed event's message. */
function train(name: string, lr: string): string {
  const r = tailor(
    ...["train", "--base", "tiny", "--data", file("support.jsonl", supportJsonl())],
    ...["--epochs", "1", "--batch-size", "1", "--lr", lr, "--seed", "0", "--name", name],
    ...["--wait", "--json"],
  );
  assert.equal(r.code, 0, r.stderr);
  const completed = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; message?: string })
    .find((e) => e.type === "completed");
  assert.ok(completed?.message, r.stdout);
  return completed.message;
}

describe("underfitting in a job's result and its model card (tiny model)", () => {
  before(() => tiny());

  test("a learning rate too small to learn: the loss did not go down, raise it", () => {
    const summary = train("stuck", "0.0000000001");
    assert.match(
      summary,
      /Training loss did not go down \(about \d+\.\d{3} at the start, \d+\.\d{3} at the end\)/,
    );
    assert.match(summary, /Raise the learning rate/);
    const card = tailor("models", "card", "stuck");
    assert.equal(card.code, 0, card.stderr);
    assert.match(card.stdout, /## Limitations[\s\S]*- Training loss did not go down/);
  });

  test("a rate that learns: no underfitting said", () => {
    const summary = train("learned", "0.01");
    assert.doesNotMatch(summary, /Training loss did not go down|still falling when training ended/);
  });
});
