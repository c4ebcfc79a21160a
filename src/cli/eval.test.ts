/**
 * Evaluation end to end, with the real engine and the tiny model: a model trained to memorise its
 * answers beats its base (job-end test, `tailor eval`, the HTML report in headless Chromium, the
 * model card), and a model fine-tuned into something worse than its base is held for review.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { EvaluationReport, ModelCard, Promotion } from "../../protocol/evals.ts";
import { enginePython } from "../engine/paths.ts";
import { launchChromium } from "../server/__fixtures__/chromium.ts";
import { CANNED, chatLine, cliSandbox, TOPICS } from "./__fixtures__/cli.ts";

const { home, tailor, file, tiny } = cliSandbox("tailor-eval-", { HF_HUB_OFFLINE: "1" });
const CLOSED = "Sorry, we are closed today.";
const train = (answer: string) =>
  `${TOPICS.slice(0, 12)
    .map((t) => chatLine(`${t}?`, answer))
    .join("\n")}\n`;
const HELD_OUT = ["My pedal fell off?", "Can I pay by card?", "Do you sell gloves?"];

function json<T>(...args: string[]): T {
  const r = tailor(...args, "--json");
  assert.equal(r.code, 0, `tailor ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

type Shown = { promotion: Promotion | null; evaluation: EvaluationReport | null };

describe("evaluation, the promotion gate and the model card", () => {
  let val = "";
  before(() => {
    tiny();
    val = file("held-out.jsonl", `${HELD_OUT.map((q) => chatLine(q, CANNED)).join("\n")}\n`);
  });

  test("a model trained to memorise beats its base, and is ready", () => {
    const data = file("support.jsonl", train(CANNED));
    // at this learning rate the tiny model's validation loss spikes on the way down, and the
    // overfitting guard would stop some runs (which depends on the dropout draws) before it memorises
    const trained = tailor(
      ...["train", "--base", "tiny", "--data", data, "--val", val, "--name", "support"],
      ...["--lr", "0.02", "--epochs", "12", "--wait", "--no-early-stop"],
    );
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stdout, /model support: ready \(It scores 100\.0% ROUGE-L/);
    assert.match(trained.stderr, /testing support against its base tiny on 3 held-out examples/);

    // the job's own test is stored with the model
    const shown = json<Shown>("models", "show", "support");
    assert.equal(shown.promotion?.status, "ready");
    assert.deepEqual(shown.evaluation?.outcome, { wins: 3, ties: 0, losses: 0 });
    assert.equal(shown.evaluation?.models[1]?.model, "tiny");
    const text = tailor("models", "show", "support");
    assert.match(text.stdout, /status\s+ready/);
    assert.match(text.stdout, /better than the base on 3, worse on 0/);
    assert.match(tailor("models", "list").stdout, /support\s+fine-tuned\s+ready/);

    // and `tailor eval` gives the same verdict, with every example side by side
    const report = json<EvaluationReport>(
      ...["eval", "support", "--data", val, "--compare", "tiny", "--html", join(home, "r.html")],
    );
    assert.equal(report.kind, "text");
    assert.equal(report.primary_metric, "rouge_l");
    assert.deepEqual(report.outcome, { wins: 3, ties: 0, losses: 0 });
    assert.equal(report.models[0]?.metrics.exact_match, 1);
    assert.ok((report.deltas?.rouge_l ?? 0) > 0.5, JSON.stringify(report.deltas));
    assert.deepEqual(
      report.examples.map((e) => [e.line, e.prompt, e.outputs[0]]),
      HELD_OUT.map((q, i) => [i + 1, q, CANNED]),
    );
  });

  test("the HTML report renders in Chromium: the verdict, the charts and the table", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`file://${join(home, "r.html")}`);
      assert.match(
        (await page.textContent("#headline")) ?? "",
        /support answered better than tiny: better on 3 of 3 examples/,
      );
      const rows = await page.$$eval("#examples tbody tr", (trs) =>
        trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
      );
      assert.equal(rows.length, 3);
      assert.match(rows[0]?.[1] ?? "", /My pedal fell off\?/);
      assert.match(rows[0]?.at(-1) ?? "", /better/);
      assert.match((await page.textContent("#metrics")) ?? "", /ROUGE-L\s*primary/);
      // Chart.js drew on both canvases (inlined: the page loads nothing from the network)
      for (const id of ["scores", "outcome"]) {
        const painted = await page.$eval(`#${id}`, (c) => {
          const canvas = c as unknown as {
            width: number;
            height: number;
            getContext(t: "2d"): { getImageData(...a: number[]): { data: Uint8ClampedArray } };
          };
          const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let i = 3; i < d.length; i += 4) if ((d[i] ?? 0) > 0) n++;
          return n;
        });
        assert.ok(painted > 1000, `canvas #${id} has ${painted} painted pixels`);
      }
      await page.screenshot({ path: join(home, "report.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  test("the model card says what it was made from, how it did and what it is not for", () => {
    const card = json<ModelCard>("models", "card", "support");
    assert.equal(card.base.name, "tiny");
    assert.equal(card.datasets.length, 2);
    assert.deepEqual(
      card.datasets.map((d) => [d.role, d.examples]),
      [
        ["training", 12],
        ["validation", 3],
      ],
    );
    assert.match(card.datasets[0]?.sha256 ?? "", /^[0-9a-f]{64}$/);
    assert.equal(card.hyperparameters.epochs, 12);
    assert.equal(card.hyperparameters.learning_rate, 0.02);
    assert.ok(card.training.train_curve.length > 5);
    assert.ok((card.training.final_train_loss ?? 9) < (card.training.first_train_loss ?? 0));
    assert.deepEqual(card.evaluation?.outcome, { wins: 3, ties: 0, losses: 0 });
    assert.equal(card.promotion.status, "ready");
    assert.match(card.limitations.join("\n"), /only 12 examples/);
    assert.match(card.created_by, /local/);
    const md = tailor("models", "card", "support").stdout;
    assert.match(md, /^# Model card: support/);
    assert.match(md, /\*\*Status: ready\.\*\*/);
    assert.match(md, /## Limitations/);
    // written with the model as well
    assert.equal(readFileSync(join(home, "models", "support", "MODEL_CARD.md"), "utf8"), md);
  });

  test("a model fine-tuned into something worse than its base needs review, and says why", () => {
    // a base that already answers well: the memorising model merged into plain weights
    const good = join(home, "good-base");
    const merge = spawnSync(
      enginePython(),
      [
        "-c",
        `import sys
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import PeftModel
base, adapter, out = sys.argv[1:]
model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), adapter).merge_and_unload()
model.save_pretrained(out)
AutoTokenizer.from_pretrained(base).save_pretrained(out)`,
        join(home, "models", "tiny"),
        join(home, "models", "support"),
        good,
      ],
      { encoding: "utf8", env: { ...process.env, HF_HUB_OFFLINE: "1" } },
    );
    assert.equal(merge.status, 0, merge.stderr);
    // ... taught a worse answer than the one the held-out examples expect
    const worse = tailor(
      ...["train", "--base", good, "--data", file("closed.jsonl", train(CLOSED))],
      ...["--val", val, "--name", "closed", "--lr", "0.02", "--epochs", "6", "--wait"],
      "--no-early-stop",
    );
    assert.equal(worse.code, 0, worse.stderr);
    assert.match(worse.stdout, /model closed: needs review/);
    const shown = json<Shown>("models", "show", "closed");
    assert.equal(shown.promotion?.status, "needs_review");
    assert.match(
      shown.promotion?.reason ?? "",
      /it must be at least as good as its base to be ready/,
    );
    assert.equal(shown.evaluation?.outcome?.losses, 3);
    assert.ok((shown.promotion?.model_score ?? 1) < (shown.promotion?.base_score ?? 0));
    assert.match(tailor("models", "list").stdout, /closed\s+fine-tuned\s+needs review/);

    // a margin makes the bar higher: `support` beats tiny by 100 points, not by more
    const saved = json<{ promotion: Promotion }>(
      ...["eval", "support", "--data", val, "--save", "--min-delta", "0.5"],
    );
    assert.equal(saved.promotion.status, "ready");
    assert.equal(json<Shown>("models", "show", "support").promotion?.min_delta, 0.5);
  });

  test("bad input: a broken line, --save on a base model, an unknown model", () => {
    const broken = file("broken.jsonl", `${chatLine("Hi?", "Hello.")}\n{"messages": [\n`);
    const r = tailor("eval", "support", "--data", broken);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /broken\.jsonl:2/);
    const base = tailor("eval", "tiny", "--data", val, "--save");
    assert.equal(base.code, 2, base.stderr);
    assert.match(base.stderr, /--save stores the evaluation of a fine-tuned model/);
    const unknown = tailor("eval", "nope", "--data", val);
    assert.equal(unknown.code, 5, unknown.stderr);
    assert.match(unknown.stderr, /unknown model 'nope'/);
  });
});
