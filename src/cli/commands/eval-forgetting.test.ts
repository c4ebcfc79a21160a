import assert from "node:assert/strict";
import { test } from "node:test";
import { forgettingCheck, skippedCheck } from "../../evals/index.ts";
import { printForgetting } from "./eval-forgetting.ts";

function printed(f: () => void): string {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    f();
  } finally {
    console.log = log;
  }
  return lines.join("\n");
}

const row = (id: string, base: boolean, model: boolean) => ({
  id,
  category: "facts",
  prompt: `Question ${id}?`,
  expected: "x",
  base_output: base ? `Right ${id}.` : "Wrong.",
  model_output: model ? `Right ${id}.` : "Zorp blit.",
  base_correct: base,
  model_correct: model,
});

test("tailor eval --save prints the general set: the sentence, then lost and gained questions with both answers", () => {
  const check = forgettingCheck(
    "tailor-general v1",
    [row("a", true, false), row("b", false, true), row("c", true, true)],
    {
      max_tokens: 32,
      batch_size: 8,
      base_cached: true,
    },
  );
  const out = printed(() => printForgetting(check));
  assert.match(out, /general questions \(tailor-general v1, 3 of them; base 2 right, tuned 2\):/);
  assert.match(
    out,
    /The tuned model lost 1 of the 2 general answers its base got right and gained 1/,
  );
  assert.match(out, /\nlost +Question a\? +Right a\. +Zorp blit\./);
  assert.match(out, /\ngained +Question b\? +Wrong\. +Right b\./);
  assert.doesNotMatch(out, /Question c/);
  assert.match(
    printed(() => printForgetting(skippedCheck("s", "its base has random weights"))),
    /not asked: its base has random weights/,
  );
});
