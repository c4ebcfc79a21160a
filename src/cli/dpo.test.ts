/**
 * Preference tuning through `bin/tailor` and the real engine (tiny model): `tailor data check` knows
 * pairs and their problems, a dpo job refuses plain examples and a supervised one refuses pairs, and
 * `tailor train --method dpo --beta B` runs to the end with DPO's metrics (reward accuracy and margin)
 * live, held-out evaluations, and a test on held-out pairs: both models' pair accuracy, the answers side
 * by side, the gate on pair accuracy.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { EvaluationReport, Promotion } from "../../protocol/evals.ts";
import { CANNED, chatLine, cliSandbox, TOPICS } from "./__fixtures__/cli.ts";

const { home, tailor, file, tiny } = cliSandbox("tailor-cli-dpo-", { HF_HUB_OFFLINE: "1" });

/** As long as CANNED, so that preferring it is not just preferring the shorter answer. */
const CURT = "Stop writing to us about this; we have no time for questions like yours, sorry.";

/** OpenAI's preference format: the friendly canned answer preferred over a curt one. */
const pair = (question: string, rejected = CURT) =>
  JSON.stringify({
    input: { messages: [{ role: "user", content: question }] },
    preferred_output: [{ role: "assistant", content: CANNED }],
    non_preferred_output: [{ role: "assistant", content: rejected }],
  });
const pairsJsonl = (questions: string[]) => `${questions.map((q) => pair(q)).join("\n")}\n`;

describe("preference tuning (DPO) from the command line", () => {
  let train = "";
  let val = "";
  before(() => {
    tiny();
    train = file("pairs.jsonl", pairsJsonl(TOPICS.slice(0, 12).map((t) => `${t}?`)));
    val = file("held-out.jsonl", pairsJsonl(TOPICS.slice(12).map((t) => `${t}?`)));
  });

  test("tailor data check says the file is preference pairs and what it checked", () => {
    const r = tailor("data", "check", train, "--no-tokens");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /12 usable examples/);
    assert.match(
      r.stdout,
      /preference pairs: each line prefers one answer to another; train on them with --method dpo/,
    );
    assert.match(
      r.stdout,
      /both answers there, from the assistant, and different; the longer side against the model's context/,
    );
  });

  test("tailor data check names each pair's problem, a mixed file, and a side too long for the model", () => {
    const bad = file(
      "bad-pairs.jsonl",
      `${[
        ...TOPICS.slice(0, 10).map((t) => pair(`${t}?`)),
        pair("Can I pay by card?", CANNED),
        JSON.stringify({ prompt: "Do you sell gloves?", chosen: "Yes, in three sizes." }),
        chatLine("Is there parking?", "Yes, behind the shop."),
      ].join("\n")}\n`,
    );
    const r = tailor("data", "check", bad, "--no-tokens");
    assert.notEqual(r.code, 0);
    assert.match(
      r.stdout,
      /bad-pairs\.jsonl:11 field non_preferred_output: is the same answer as preferred_output/,
    );
    assert.match(r.stdout, /bad-pairs\.jsonl:12 field rejected: is missing/);
    assert.match(r.stdout, /bad-pairs\.jsonl:13: .*mixes 10 preference pairs with 1 plain example/);

    // the tiny model reads 2048 tokens: a non-preferred answer of ~2,500 words is too long
    const long = file(
      "long-pairs.jsonl",
      `${[...TOPICS.slice(0, 10).map((t) => pair(`${t}?`)), pair("Tell me a story?", "word ".repeat(2500))].join("\n")}\n`,
    );
    const counted = tailor("data", "check", long, "--base", "tiny");
    assert.notEqual(counted.code, 0);
    assert.match(
      counted.stdout,
      /long-pairs\.jsonl:11: is \d+ tokens long; tiny reads at most 2048/,
    );
  });

  test("a dpo job needs pairs, and a supervised job refuses them", () => {
    const plain = file(
      "plain.jsonl",
      `${TOPICS.slice(0, 12)
        .map((t) => chatLine(`${t}?`, CANNED))
        .join("\n")}\n`,
    );
    const noPairs = tailor("train", "--base", "tiny", "--data", plain, "--method", "dpo");
    assert.notEqual(noPairs.code, 0);
    assert.match(
      noPairs.stderr,
      /plain\.jsonl has no preference pairs, and --method dpo learns from pairs/,
    );
    const supervised = tailor("train", "--base", "tiny", "--data", train);
    assert.notEqual(supervised.code, 0);
    assert.match(
      supervised.stderr,
      /pairs\.jsonl holds preference pairs .*train with --method dpo/,
    );
  });

  test("tailor train --method dpo --beta runs to the end: DPO metrics live, and a test on held-out pairs", () => {
    const r = tailor(
      "train",
      ...["--base", "tiny", "--data", train, "--val", val, "--name", "polite"],
      ...["--method", "dpo", "--beta", "0.2", "--epochs", "4", "--lr", "0.003", "--wait", "--json"],
    );
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, number | string>);
    const metrics = events.filter((e) => e.type === "metrics");
    assert.equal(metrics.length, 12); // 12 pairs, 4 per step, 4 epochs
    assert.ok(
      metrics.every(
        (m) => typeof m.reward_accuracy === "number" && typeof m.reward_margin === "number",
      ),
    );
    assert.ok(Math.abs(Number(metrics[0]?.train_loss) - Math.log(2)) < 1e-3); // it starts as its reference
    assert.ok(Number(metrics.at(-1)?.train_loss) < Number(metrics[0]?.train_loss));
    assert.equal(metrics.at(-1)?.reward_accuracy, 1);
    assert.match(
      String(metrics.at(-1)?.message),
      /training loss [\d.]+, reward accuracy 100\.0%, margin/,
    );
    const evals = events.filter((e) => e.type === "evaluation");
    assert.ok(evals.length > 0 && evals.every((e) => typeof e.reward_accuracy === "number"));

    const job = JSON.parse(tailor("jobs", "show", String(metrics[0]?.job_id), "--json").stdout) as {
      method: { type: string; dpo?: { hyperparameters: { beta: number } } };
      hyperparameters: { learning_rate_multiplier: number };
    };
    assert.equal(job.method.type, "dpo");
    assert.equal(job.method.dpo?.hyperparameters.beta, 0.2);

    const folder = join(home, "models", "polite");
    const report = JSON.parse(
      readFileSync(join(folder, "evaluation.json"), "utf8"),
    ) as EvaluationReport;
    assert.equal(report.primary_metric, "pair_accuracy");
    const [tuned, base] = report.models;
    assert.equal(tuned?.metrics.pair_accuracy, 1); // it prefers the friendly answer on all 4 held-out pairs
    assert.ok((tuned?.metrics.pair_accuracy ?? 0) >= (base?.metrics.pair_accuracy ?? 0));
    assert.equal(tuned?.metrics.reward_accuracy, 1);
    assert.equal(report.preference?.pairs, 4);
    const row = report.examples[0];
    assert.equal(row?.expected, CANNED);
    assert.equal(row?.non_preferred, CURT);
    assert.equal(row?.outputs.length, 2); // the tuned model's greedy answer and its base's, side by side
    assert.equal(row?.margins?.length, 2);
    const manifest = JSON.parse(readFileSync(join(folder, "tailor-model.json"), "utf8")) as {
      method?: string;
      promotion?: Promotion;
    };
    assert.equal(manifest.method, "dpo");
    assert.equal(manifest.promotion?.metric, "pair_accuracy");
    assert.equal(manifest.promotion?.status, "ready", manifest.promotion?.reason);
  });
});
