/**
 * End to end through `bin/tailor` with the real Python engine and real files: the tiny model for
 * training, the real SmolLM2-135M for one slow check. Each command runs in its own process, as a
 * user's would. The checks after the training do not depend on each other and run at the same
 * time (several commands at once on one home, as several terminals would).
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { CANNED, type CliResult, chatLine, cliSandbox, supportJsonl } from "./__fixtures__/cli.ts";
import { asyncTailor } from "./__fixtures__/cli-async.ts";

const { home, tailor: tailorSync, file } = cliSandbox("tailor-cli-", { HF_HUB_OFFLINE: "1" });
// ten minutes a command: commands run side by side here, on a machine that may be busy
const tailor = asyncTailor(home, { HF_HUB_OFFLINE: "1" }, { timeoutMs: 600_000 });

async function expectError(run: Promise<CliResult>, code: number, message: RegExp) {
  const r = await run;
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace without --verbose");
}

describe("tailor CLI with the real engine", () => {
  before(() => {
    const r = tailorSync("models", "create-tiny", "tiny", "--json");
    assert.equal(r.code, 0, r.stderr);
  });

  test("models list shows the built-in models and the tiny model", () => {
    const r = tailorSync("models", "list", "--json");
    assert.equal(r.code, 0, r.stderr);
    const names = (JSON.parse(r.stdout) as { name: string }[]).map((m) => m.name);
    // the chat base, the encoder that text classifiers start from, and the model made here
    assert.deepEqual(names, ["smollm2-135m-instruct", "all-minilm-l6-v2", "tiny"]);
  });

  test("train learns 16 examples, and the saved adapter answers like them in fresh processes", async () => {
    const data = file("support.jsonl", supportJsonl());
    const r = await tailor(
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

    // two fresh processes load the saved adapter (and the base model without it) at the same time
    const [first, second, base] = await Promise.all([
      tailor("generate", "support", "--prompt", "My brakes squeal?", "--json"),
      tailor("generate", "support", "--prompt", "My brakes squeal?", "--json"),
      tailor("generate", "tiny", "--prompt", "My brakes squeal?", "--max-tokens", "20"),
    ]);
    const answers = [first, second].map((g) => {
      assert.equal(g.code, 0, g.stderr);
      return (JSON.parse(g.stdout) as { text: string }).text;
    });
    assert.deepEqual(answers, [CANNED, CANNED]);
    assert.equal(base.code, 0, base.stderr);
    assert.notEqual(base.stdout.trim(), CANNED);
  });

  // the checks below do not depend on each other or on the training above: they run at once
  describe("independent commands, run at once", { concurrency: true }, () => {
    test("a missing data file", async () => {
      await expectError(
        tailor("train", "--base", "tiny", "--data", join(home, "nope.jsonl")),
        3,
        /nope\.jsonl does not exist/,
      );
    });

    test("an unknown base model", async () => {
      const data = file("one.jsonl", `${chatLine("a", "b")}\n`);
      await expectError(
        tailor("train", "--base", "no-such-model", "--data", data),
        5,
        /unknown model 'no-such-model'.*create-tiny/s,
      );
    });

    test("an empty dataset", async () => {
      await expectError(
        tailor("train", "--base", "tiny", "--data", file("empty.jsonl", "\n")),
        4,
        /only 0 usable examples; fine-tuning needs at least 10/,
      );
    });

    test("a line that is not JSON is named by file and line", async () => {
      const data = file("broken.jsonl", `${chatLine("a", "b")}\n{"messages": [\n`);
      await expectError(
        tailor("train", "--base", "tiny", "--data", data),
        4,
        /broken\.jsonl:2: is not valid JSON/,
      );
    });

    test("a corrupt model folder", async () => {
      const dir = join(home, "corrupt-model");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "config.json"), "{ this is not json");
      await expectError(
        tailor("generate", dir, "--prompt", "hi"),
        6,
        /could not load .*corrupt-model/,
      );
    });

    test("a Hub id that cannot be downloaded says what to do", async () => {
      await expectError(
        tailor("generate", "someone/some-model", "--prompt", "hi"),
        8,
        /could not download 'someone\/some-model'.*local folder/s,
      );
    });

    test("bad flag values are refused before anything runs", async () => {
      await expectError(
        tailor("generate", "tiny", "--prompt", "hi", "--top-p", "1.5"),
        2,
        /top-p must be/,
      );
      await expectError(
        tailor("train", "--base", "tiny", "--data", "x", "--epochs", "two"),
        2,
        /--epochs must be a whole number/,
      );
    });

    test("--verbose shows the stack trace", async () => {
      const r = await tailor(
        "--verbose",
        "train",
        "--base",
        "tiny",
        "--data",
        join(home, "nope.jsonl"),
      );
      assert.equal(r.code, 3);
      assert.match(r.stderr, /\n\s+at /);
    });

    test("slow: the built-in SmolLM2-135M-Instruct loads from its package and answers", async () => {
      // the same model given as a path to its .gguf file (found by doctor) answers the same
      const doctor = JSON.parse((await tailor("doctor", "--json")).stdout) as {
        builtin_models: { path: string }[];
      };
      const gguf = doctor.builtin_models[0]?.path ?? "";
      assert.match(gguf, /\.gguf$/);
      const ask = (model: string) =>
        tailor(
          "generate",
          model,
          "--prompt",
          "What is the capital of France?",
          "--max-tokens",
          "24",
          "--json",
        );
      const [r, byPath] = await Promise.all([ask("smollm2-135m-instruct"), ask(gguf)]);
      assert.equal(r.code, 0, r.stderr);
      const answer = (JSON.parse(r.stdout) as { text: string }).text;
      assert.match(answer, /Paris/);
      assert.equal(byPath.code, 0, byPath.stderr);
      assert.equal((JSON.parse(byPath.stdout) as { text: string }).text, answer);
    });
  });
});
