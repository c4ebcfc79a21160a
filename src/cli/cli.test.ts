/**
 * End to end through `bin/tailor` with the real Python engine and real files: the tiny model for
 * training, the real SmolLM2-135M for one slow check. Each command runs in its own process, as a
 * user's would.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { CANNED, chatLine, cliSandbox, supportJsonl } from "./__fixtures__/cli.ts";

const { home, tailor, file } = cliSandbox("tailor-cli-", { HF_HUB_OFFLINE: "1" });

function expectError(r: ReturnType<typeof tailor>, code: number, message: RegExp) {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace without --verbose");
}

describe("tailor CLI with the real engine", () => {
  before(() => {
    const r = tailor("models", "create-tiny", "tiny", "--json");
    assert.equal(r.code, 0, r.stderr);
  });

  test("models list shows the built-in models and the tiny model", () => {
    const r = tailor("models", "list", "--json");
    assert.equal(r.code, 0, r.stderr);
    const names = (JSON.parse(r.stdout) as { name: string }[]).map((m) => m.name);
    // the chat base, the encoder that text classifiers start from, and the model made here
    assert.deepEqual(names, ["smollm2-135m-instruct", "all-minilm-l6-v2", "tiny"]);
  });

  test("train learns 16 examples, and the saved adapter answers like them in fresh processes", () => {
    const data = file("support.jsonl", supportJsonl());
    const r = tailor(
      "train",
      "--base",
      "tiny",
      "--data",
      data,
      "--epochs",
      "10",
      "--lr",
      "0.01",
      "--lora-rank",
      "16",
      "--seed",
      "0",
      "--name",
      "support",
      "--wait",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; train_loss?: number; model?: string });
    const losses = events.flatMap((e) => (e.type === "metrics" ? [e.train_loss ?? NaN] : []));
    assert.equal(losses.length, 40);
    assert.ok(
      (losses.at(-1) ?? Infinity) < 0.3 * (losses[0] ?? 0),
      `loss ${losses[0]} -> ${losses.at(-1)}`,
    );
    assert.equal(events.at(-1)?.type, "completed");
    assert.equal(events.at(-1)?.model, "support");
    assert.ok(events.some((e) => e.type === "checkpoint"));

    const answers = [1, 2].map(() => {
      const g = tailor("generate", "support", "--prompt", "My brakes squeal?", "--json");
      assert.equal(g.code, 0, g.stderr);
      return (JSON.parse(g.stdout) as { text: string }).text;
    });
    assert.deepEqual(answers, [CANNED, CANNED]);
    const base = tailor("generate", "tiny", "--prompt", "My brakes squeal?", "--max-tokens", "20");
    assert.notEqual(base.stdout.trim(), CANNED);
  });

  test("a missing data file", () => {
    expectError(
      tailor("train", "--base", "tiny", "--data", join(home, "nope.jsonl")),
      3,
      /nope\.jsonl does not exist/,
    );
  });

  test("an unknown base model", () => {
    const data = file("one.jsonl", `${chatLine("a", "b")}\n`);
    expectError(
      tailor("train", "--base", "no-such-model", "--data", data),
      5,
      /unknown model 'no-such-model'.*create-tiny/s,
    );
  });

  test("an empty dataset", () => {
    expectError(
      tailor("train", "--base", "tiny", "--data", file("empty.jsonl", "\n")),
      4,
      /only 0 usable examples; fine-tuning needs at least 10/,
    );
  });

  test("a line that is not JSON is named by file and line", () => {
    const data = file("broken.jsonl", `${chatLine("a", "b")}\n{"messages": [\n`);
    expectError(
      tailor("train", "--base", "tiny", "--data", data),
      4,
      /broken\.jsonl:2: is not valid JSON/,
    );
  });

  test("a corrupt model folder", () => {
    const dir = join(home, "corrupt-model");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "config.json"), "{ this is not json");
    expectError(tailor("generate", dir, "--prompt", "hi"), 6, /could not load .*corrupt-model/);
  });

  test("a Hub id that cannot be downloaded says what to do", () => {
    expectError(
      tailor("generate", "someone/some-model", "--prompt", "hi"),
      8,
      /could not download 'someone\/some-model'.*local folder/s,
    );
  });

  test("bad flag values are refused before anything runs", () => {
    expectError(tailor("generate", "tiny", "--prompt", "hi", "--top-p", "1.5"), 2, /top-p must be/);
    expectError(
      tailor("train", "--base", "tiny", "--data", "x", "--epochs", "two"),
      2,
      /--epochs must be a whole number/,
    );
  });

  test("--verbose shows the stack trace", () => {
    const r = tailor("--verbose", "train", "--base", "tiny", "--data", join(home, "nope.jsonl"));
    assert.equal(r.code, 3);
    assert.match(r.stderr, /\n\s+at /);
  });

  test("slow: the built-in SmolLM2-135M-Instruct loads from its package and answers", () => {
    const r = tailor(
      "generate",
      "smollm2-135m-instruct",
      "--prompt",
      "What is the capital of France?",
      "--max-tokens",
      "24",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const answer = (JSON.parse(r.stdout) as { text: string }).text;
    assert.match(answer, /Paris/);

    // the same model given as a path to its .gguf file (found by doctor) answers the same
    const doctor = JSON.parse(tailor("doctor", "--json").stdout) as {
      builtin_models: { path: string }[];
    };
    const gguf = doctor.builtin_models[0]?.path ?? "";
    assert.match(gguf, /\.gguf$/);
    const byPath = tailor(
      "generate",
      gguf,
      "--prompt",
      "What is the capital of France?",
      "--max-tokens",
      "24",
      "--json",
    );
    assert.equal(byPath.code, 0, byPath.stderr);
    assert.equal((JSON.parse(byPath.stdout) as { text: string }).text, answer);
  });
});
