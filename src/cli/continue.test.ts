/**
 * Continuing from a fine-tuned model through `bin/tailor` and the real engine (tiny model): a model
 * trained on new examples from its parent's adapter names the parent in its manifest, `models show`
 * and its card; it really starts where the parent ended (its first loss is far below a fresh run's on
 * the same examples); bad starts are refused with what to do; and deleting the parent breaks nothing.
 */
import assert from "node:assert/strict";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { EvaluationReport, ModelCard } from "../../protocol/evals.ts";
import { CANNED, chatLine, cliSandbox, supportJsonl } from "./__fixtures__/cli.ts";

const { home, tailor, file, tiny } = cliSandbox("tailor-cli-continue-", { HF_HUB_OFFLINE: "1" });

/** New questions, answered the way the parent learned to answer. */
const NEW = [
  "Do you sell gloves",
  "Can I pay by card",
  "My pedal fell off",
  "Is parking free",
  "Do you rent bikes",
  "Can I book a fitting",
  "My spokes are loose",
  "Do you ship abroad",
  "Can I trade in my old bike",
  "Do you have gift cards",
];
const HELD_OUT = ["Are you hiring", "Do you fix scooters", "Can I pay later"];

const manifest = (name: string) =>
  JSON.parse(readFileSync(join(home, "models", name, "tailor-model.json"), "utf8")) as {
    base: { name: string };
    parent?: { name: string; job_id?: string };
    training: { job_id: string; train_file: string; lora_rank: number; first_train_loss: number };
  };

function train(...args: string[]) {
  const r = tailor("train", ...args, "--seed", "7", "--wait");
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return r;
}

describe("continuing from a fine-tuned model", () => {
  let newData = "";
  before(() => {
    tiny();
    // the parent learns one answer well (10 passes at a high rate)
    train(
      ...["--base", "tiny", "--data", file("support.jsonl", supportJsonl()), "--epochs", "10"],
      ...["--lr", "0.01", "--name", "support"],
    );
    newData = file("new.jsonl", `${NEW.map((q) => chatLine(`${q}?`, CANNED)).join("\n")}\n`);
  });

  test("trains on new examples from the parent's adapter and names the parent", () => {
    const heldOut = file(
      "held-out.jsonl",
      `${HELD_OUT.map((q) => chatLine(`${q}?`, CANNED)).join("\n")}\n`,
    );
    const r = train("--base", "support", "--data", newData, "--val", heldOut, "--epochs", "2");
    const parent = manifest("support");
    assert.match(r.stderr, /-> support-v2/); // the next version by default
    assert.match(
      r.stderr,
      new RegExp(
        `continues from support \\(trained on ${parent.training.train_file}, 16 examples\\)`,
      ),
    );
    assert.match(r.stderr, /LoRA rank: 8 \(from support: training continues from its adapter/);

    const child = manifest("support-v2");
    assert.equal(child.base.name, "tiny");
    assert.deepEqual(child.parent, { name: "support", job_id: parent.training.job_id });
    assert.equal(child.training.lora_rank, parent.training.lora_rank);

    // the test at the end: against the base (the gate), and against the parent beside it
    const shown = tailor("models", "show", "support-v2");
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /continued from\s+support \(trained on ds-[0-9a-f]+, 16 examples\)/);
    assert.match(shown.stdout, /continued from support on 10 more examples \(base tiny\)/);
    assert.match(
      shown.stdout,
      /Against support, the model it continued from, on the same examples/,
    );
    const json = JSON.parse(tailor("models", "show", "support-v2", "--json").stdout) as {
      parent: { name: string; deleted: boolean };
      evaluation: EvaluationReport;
    };
    assert.equal(json.parent.name, "support");
    assert.equal(json.parent.deleted, false);
    assert.deepEqual(
      json.evaluation.models.map((m) => m.model),
      ["support-v2", "tiny"],
    );
    assert.equal(json.evaluation.parent?.model, "support");
    const o = json.evaluation.parent?.outcome;
    assert.equal((o?.wins ?? 0) + (o?.ties ?? 0) + (o?.losses ?? 0), HELD_OUT.length);

    const card = JSON.parse(tailor("models", "card", "support-v2", "--json").stdout) as ModelCard;
    assert.deepEqual(card.parent, {
      model: "support",
      job_id: parent.training.job_id,
      training_data: parent.training.train_file,
      examples: 16,
      deleted: false,
    });
    const md = tailor("models", "card", "support-v2").stdout;
    assert.match(md, /- Continued from: support, job ftjob-[0-9a-f]+, which was trained on ds-/);
  });

  test("training starts where the parent ended, not from a fresh adapter", (t) => {
    // same examples, same seed: a fresh adapter starts at the base's loss (LoRA adds nothing at
    // step 0), so only the parent's adapter can make the first loss lower
    train("--base", "tiny", "--data", newData, "--epochs", "1", "--name", "fresh");
    train("--base", "support", "--data", newData, "--epochs", "1", "--name", "again");
    const fresh = manifest("fresh").training.first_train_loss;
    const again = manifest("again").training.first_train_loss;
    t.diagnostic(`first training loss: continued ${again.toFixed(3)}, fresh ${fresh.toFixed(3)}`);
    assert.ok(again < 0.3 * fresh, `continued ${again} vs fresh ${fresh}`);
  });

  test("bad starts are refused with the reason and what to do", () => {
    const refused = (args: string[], code: number, message: RegExp) => {
      const r = tailor("train", "--data", newData, ...args);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, message);
    };
    refused(
      ["--base", "support", "--lora-rank", "4"],
      2,
      /LoRA rank 4 was asked for, but support's adapter has rank 8, .*fixed. Leave the LoRA rank out \(or set it to 8\), or train from its base model tiny/,
    );
    refused(["--base", "no-such-model"], 5, /unknown model 'no-such-model'/);
    refused(
      ["--base", `${manifest("support").training.job_id}:step-1`],
      2,
      /is a checkpoint; training continues from a finished fine-tuned model/,
    );
    refused(
      ["--base", "support", "--task", "classify"],
      2,
      /a classifier is trained from an encoder base model, not continued from it/,
    );
    // a text classifier as the parent (its manifest says so)
    cpSync(join(home, "models", "support"), join(home, "models", "router"), { recursive: true });
    const router = join(home, "models", "router", "tailor-model.json");
    writeFileSync(
      router,
      JSON.stringify({ ...manifest("router"), name: "router", method: "classify" }, null, 2),
    );
    refused(
      ["--base", "router"],
      2,
      /router is a text classifier; continuing training is for models/,
    );
    // a model whose adapter is gone
    cpSync(join(home, "models", "support"), join(home, "models", "broken"), { recursive: true });
    const broken = join(home, "models", "broken", "tailor-model.json");
    writeFileSync(broken, JSON.stringify({ ...manifest("broken"), name: "broken" }, null, 2));
    rmSync(join(home, "models", "broken", "adapter_model.safetensors"));
    refused(["--base", "broken"], 6, /broken cannot be continued from: .* has no adapter_model/);
  });

  test("deleting the parent leaves the child working, and its lineage says so", () => {
    rmSync(join(home, "models", "support"), { recursive: true });
    const shown = tailor("models", "show", "support-v2");
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      /continued from\s+support \(deleted; trained on ds-[0-9a-f]+, 16 ex/,
    );
    const card = JSON.parse(tailor("models", "card", "support-v2", "--json").stdout) as ModelCard;
    assert.equal(card.parent?.deleted, true);
    assert.match(card.parent?.training_data ?? "", /^ds-/); // from the parent's job
    const said = tailor(
      "generate",
      "support-v2",
      "--prompt",
      "Do you sell gloves?",
      "--max-tokens",
      "8",
    );
    assert.equal(said.code, 0, said.stderr);
    assert.match(said.stdout, /^Thanks for writing to Northwind Bikes/); // what it learned, on its own
  });
});
