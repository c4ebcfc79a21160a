/**
 * Training and testing a text classifier through `bin/tailor` with the real engine (all-MiniLM-L6-v2,
 * a temporary TAILOR_HOME): `data check` on labelled CSV (label counts, problems with their line and
 * field), `train --task classify --wait` without --base (its plan, events, the manifest's labels, the
 * evaluation with accuracy, macro-F1, per-label scores, the confusion table and calibration against
 * the majority-label baseline, the card), `eval` of the classifier, and the refusals that keep a
 * classifier's base and data apart from a generative model's. The API's method {type: classify}
 * through the official `openai` client on a real listening server.
 */
import assert from "node:assert/strict";
import { createReadStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type { EvaluationReport, ModelCard } from "../../protocol/evals.ts";
import { readLocalAdminKey } from "../auth/index.ts";
import { type RunningServer, startServer } from "../server/index.ts";
import { cliSandbox } from "./__fixtures__/cli.ts";

const { home, tailor, file } = cliSandbox("tailor-classify-train-", { HF_HUB_OFFLINE: "1" });

const TRAIN: Record<string, string[]> = {
  billing: [
    "I was charged twice for my subscription this month",
    "Can I get a refund for the last invoice?",
    "My credit card payment failed, please help",
    "Why did my bill go up by ten dollars?",
    "Please send a copy of my receipt for March",
    "The invoice lists a plan I never ordered",
    "How do I change the card you charge each month?",
    "I cancelled but you still took my money",
    "Please correct the VAT number on my invoice",
    "You charged my card without asking me",
  ],
  bug: [
    "The app crashes every time I open settings",
    "Export to CSV produces an empty file",
    "The save button does nothing on Firefox",
    "Pages load forever since the last update",
    "I get error 500 when uploading a photo",
    "Dark mode makes the text invisible",
    "Notifications arrive twice on my phone",
    "The search box returns nothing for any query",
    "The calendar shows every meeting one hour late",
    "Login fails with a blank screen on Safari",
  ],
  sales: [
    "Do you offer a discount for nonprofits?",
    "We want 40 seats for our team, what is the price?",
    "Can we book a demo for next Tuesday?",
    "Is there an enterprise plan with single sign-on?",
    "What does the annual plan cost compared to monthly?",
    "Could someone call us about a volume deal?",
    "Do you have a reseller programme in Europe?",
    "We are comparing vendors; can you send a quote?",
    "Is there a free trial for a team of twenty?",
    "What would 500 licences cost for a university?",
  ],
};
const HELD_OUT: [string, string][] = [
  ["You billed my card three times today", "billing"],
  ["Please refund the duplicate payment", "billing"],
  ["The app freezes when I tap the menu", "bug"],
  ["Uploading a file shows an error every time", "bug"],
  ["How much for 200 licences for a school?", "sales"],
  ["Can your sales team send us pricing for 50 users?", "sales"],
];
const csv = (rows: [string, string][]) =>
  `text,label\n${rows.map(([t, l]) => `"${t.replaceAll('"', '""')}",${l}`).join("\n")}\n`;
const trainRows = Object.entries(TRAIN).flatMap(([l, ts]) =>
  ts.map((t): [string, string] => [t, l]),
);

describe("training a text classifier", () => {
  let trainFile = "";
  let valFile = "";
  let output = "";
  before(() => {
    trainFile = file("tickets.csv", csv(trainRows));
    valFile = file("tickets-val.csv", csv(HELD_OUT));
    const r = tailor(
      ...["train", "--task", "classify", "--data", trainFile, "--val", valFile],
      ...["--epochs", "10", "--lr", "2e-4", "--name", "tickets", "--wait"],
    );
    output = r.stdout + r.stderr;
    assert.equal(r.code, 0, output);
  });

  test("tailor data check reads a text,label CSV: labels, their counts, problems by line", () => {
    const good = tailor("data", "check", trainFile, "--val", valFile);
    assert.equal(good.code, 0, good.stderr);
    assert.match(
      good.stdout,
      /labelled texts, 3 labels; examples per label \(validation in brackets\)/,
    );
    assert.match(good.stdout, /billing \| █+ +10 \(2\)/);
    const bad = file(
      "bad.csv",
      `text,label\n${trainRows.map(([t, l]) => `"${t}",${l}`).join("\n")}\n,spam\nhello,\n"The app crashes every time I open settings",billing\n`,
    );
    const r = tailor("data", "check", bad);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, new RegExp(`${bad}:32 field text: is empty; write the text`));
    assert.match(r.stdout, new RegExp(`${bad}:33 field label: is empty; write the label`));
    assert.match(r.stdout, /bad.csv:34: has the same text as line 12 under other labels/);
  });

  test("the plan says how a classifier is trained, and the events are a training run's", () => {
    assert.match(output, /fine-tuning all-minilm-l6-v2 on 30 examples -> tickets/);
    assert.match(output, /epochs: 10 \(set by you\)/);
    assert.match(output, /batch size: 16 \(auto: 16 texts a step/);
    assert.match(output, /every weight of the encoder and a new classification head \(no LoRA\)/);
    assert.match(output, /beats always answering the most common label/);
    assert.match(output, /validation at step \d+ \(epoch [\d.]+\): loss [\d.]+, accuracy/);
    assert.match(output, /model tickets: ready/);
    assert.match(output, /try it: tailor classify tickets/);
    const job = JSON.parse(tailor("jobs", "list", "--json").stdout)[0] as { id: string };
    const events = tailor("jobs", "events", job.id, "--json").stdout;
    for (const type of ["metrics", "evaluation", "completed"])
      assert.match(events, new RegExp(`"type": ?"${type}"`), type);
    assert.match(events, /accuracy [\d.]+% \(of the held-out texts labelled right\)/);
  });

  test("the model folder is a classifier: its manifest names the labels, the saved format", () => {
    const dir = join(home, "models", "tickets");
    const manifest = JSON.parse(readFileSync(join(dir, "tailor-model.json"), "utf8"));
    assert.equal(manifest.method, "classify");
    assert.deepEqual(manifest.labels, ["billing", "bug", "sales"]);
    assert.equal(manifest.multi_label, false);
    assert.equal(manifest.base.name, "all-minilm-l6-v2");
    assert.equal(manifest.training.lora_rank, 0);
    assert.equal(manifest.promotion.status, "ready");
    const settings = JSON.parse(readFileSync(join(dir, "tailor_classifier.json"), "utf8"));
    assert.deepEqual(settings.labels, manifest.labels);
    assert.equal(settings.temperature, 1); // 6 held-out texts are too few to calibrate on
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    assert.equal(config.problem_type, "single_label_classification");
  });

  test("the evaluation: accuracy, macro-F1, per label, confusion and calibration, vs the baseline", () => {
    const dir = join(home, "models", "tickets");
    const report = JSON.parse(
      readFileSync(join(dir, "evaluation.json"), "utf8"),
    ) as EvaluationReport;
    assert.equal(report.kind, "label");
    assert.equal(report.primary_metric, "accuracy");
    const [model, baseline] = report.models;
    assert.equal(model?.model, "tickets");
    assert.equal(baseline?.model, "always billing"); // the labels tie at 10: the first by name
    assert.equal(baseline?.metrics.accuracy, 2 / 6);
    assert.ok((model?.metrics.accuracy ?? 0) > 2 / 6, JSON.stringify(model?.metrics));
    assert.ok((model?.metrics.macro_f1 ?? 0) > (baseline?.metrics.macro_f1 ?? 1));
    const c = report.classification;
    assert.ok(c);
    assert.deepEqual(Object.keys(c.per_label), ["billing", "bug", "sales"]);
    assert.deepEqual(
      Object.values(c.per_label).map((s) => s.support),
      [2, 2, 2],
    );
    assert.deepEqual(c.baseline, { labels: ["billing"], counted_on: "training" });
    const matrix = model?.confusion?.matrix ?? [];
    assert.deepEqual(
      matrix.map((row) => row.reduce((a, b) => a + b, 0)),
      [2, 2, 2],
    );
    const right = matrix.reduce((s, row, i) => s + (row[i] ?? 0), 0);
    assert.equal(right / 6, model?.metrics.accuracy);
    assert.ok(c.calibration.ece_after >= 0 && c.calibration.ece_after <= 1);
    // temperature 1: the same scores (up to float32 rounding)
    assert.ok(Math.abs(c.calibration.ece_before - c.calibration.ece_after) < 1e-6);
    assert.deepEqual(report.examples[0]?.prompt, HELD_OUT[0]?.[0]);
  });

  test("the card shows the labels, the baseline, per-label scores and the confusion table", () => {
    const card = JSON.parse(tailor("models", "card", "tickets", "--json").stdout) as ModelCard;
    assert.equal(
      card.hyperparameters.method,
      "the whole encoder fine-tuned with a classification head",
    );
    assert.equal(card.hyperparameters.lora_rank, undefined);
    assert.match(card.intended_use, /one of the labels "billing", "bug", "sales"/);
    assert.ok(card.evaluation?.classification?.confusion);
    const md = readFileSync(join(home, "models", "tickets", "MODEL_CARD.md"), "utf8");
    assert.match(md, /\| metric \| tickets \| always "billing" \|/);
    assert.match(md, /\| label \| precision \| recall \| F1 \| held-out texts \|/);
    assert.match(md, /Confusion table \(rows: the right label; columns: the label it gave\)/);
    assert.match(md, /\| \*\*billing\*\* \| \d \| \d \| \d \|/);
    assert.match(md, /Scores are not calibrated \(too few validation texts/);
  });

  test("tailor eval on a classifier prints its labels, per-label scores and calibration", () => {
    const r = tailor("eval", "tickets", "--data", valFile);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /accuracy \*/);
    assert.match(r.stdout, /macro-F1/);
    assert.match(r.stdout, /labels of tickets \(rows: expected, columns: answered\)/);
    assert.match(r.stdout, /LABEL +PRECISION +RECALL +F1 +TEXTS/);
    assert.match(r.stdout, /calibration: expected calibration error/);
    const compare = tailor(
      "eval",
      "tickets",
      "--data",
      valFile,
      "--compare",
      "smollm2-135m-instruct",
    );
    assert.equal(compare.code, 2, compare.stdout);
    assert.match(compare.stderr, /text classifier: it is compared with always answering/);
  });

  test("a classifier's base and data are kept apart from a generative model's", () => {
    const generativeBase = tailor(
      ...["train", "--task", "classify", "--base", "smollm2-135m-instruct", "--data", trainFile],
    );
    assert.equal(generativeBase.code, 2);
    assert.match(generativeBase.stderr, /smollm2-135m-instruct writes answers; a text classifier/);
    const encoderForAnswers = tailor("train", "--base", "all-minilm-l6-v2", "--data", trainFile);
    assert.equal(encoderForAnswers.code, 2);
    assert.match(encoderForAnswers.stderr, /all-minilm-l6-v2 is an encoder/);
    const noBase = tailor("train", "--data", trainFile);
    assert.equal(noBase.code, 2);
    assert.match(noBase.stderr, /--base is needed/);
    const chat = file(
      "chat.jsonl",
      `${trainRows
        .map(([t, l]) =>
          JSON.stringify({
            messages: [
              { role: "user", content: t },
              { role: "assistant", content: l },
            ],
          }),
        )
        .join("\n")}\n`,
    );
    const unlabelled = tailor("train", "--task", "classify", "--data", chat);
    assert.equal(unlabelled.code, 4, unlabelled.stderr);
    assert.match(
      unlabelled.stderr,
      /chat.jsonl is not labelled texts; a classifier learns from lines like/,
    );
    const lora = tailor("train", "--task", "classify", "--data", trainFile, "--lora-rank", "8");
    assert.match(lora.stderr, /trains the whole encoder, not a LoRA add-on/);
  });

  describe("through the API", () => {
    let server: RunningServer;
    let client: OpenAI;
    before(async () => {
      server = await startServer({ home, port: 0 });
      client = new OpenAI({ apiKey: readLocalAdminKey(home) ?? "", baseURL: `${server.url}/v1` });
    });
    after(async () => server?.close());

    test("method {type: classify} makes a classifier job, planned as one", async () => {
      const uploaded = await client.files.create({
        file: createReadStream(
          file(
            "tickets.jsonl",
            `${trainRows.map(([text, label]) => JSON.stringify({ text, label })).join("\n")}\n`,
          ),
        ),
        purpose: "fine-tune",
      });
      const job = await client.fineTuning.jobs.create({
        model: "all-minilm-l6-v2",
        training_file: uploaded.id,
        // Tailor's extension of OpenAI's methods
        method: {
          type: "classify",
          classify: { hyperparameters: { n_epochs: 4 } },
        } as unknown as OpenAI.FineTuning.JobCreateParams.Method,
      });
      assert.equal(job.status, "queued");
      const method = job.method as unknown as {
        type: string;
        classify: { hyperparameters: { n_epochs: number; batch_size: number } };
      };
      assert.equal(method.type, "classify");
      assert.deepEqual(method.classify.hyperparameters.n_epochs, 4);
      assert.equal(method.classify.hyperparameters.batch_size, 16);
      const tailorView = (job as unknown as { tailor: { explanations: string[] } }).tailor;
      assert.ok(tailorView.explanations.some((l) => /no LoRA/.test(l)));
      await client.fineTuning.jobs.cancel(job.id);
      await assert.rejects(
        client.fineTuning.jobs.create({
          model: "smollm2-135m-instruct",
          training_file: uploaded.id,
          method: { type: "classify" } as unknown as OpenAI.FineTuning.JobCreateParams.Method,
        }),
        (e: unknown) =>
          e instanceof OpenAI.APIError && e.status === 400 && /writes answers/.test(e.message),
      );
    });
  });
});
