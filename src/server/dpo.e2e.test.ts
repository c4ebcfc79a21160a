/**
 * Preference tuning through the API, as OpenAI's is called: the official `openai` client against a
 * real listening server (its worker runs the real engine on the tiny model). A file of preference
 * pairs is uploaded, `fineTuning.jobs.create` with `method: {type: "dpo", dpo: {hyperparameters:
 * {beta}}}` runs to succeeded, and the job says it is DPO with its beta; its events carry the reward
 * accuracy; the model's evaluation compares pair accuracy with the base. A supervised job on pairs is
 * refused with what to do. Every response is checked against the served OpenAPI document.
 */
import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type { EvaluationReport } from "../../protocol/evals.ts";
import { readLocalAdminKey } from "../auth/index.ts";
import { CANNED, cliSandbox, TOPICS } from "../cli/__fixtures__/cli.ts";
import { checkContract, fails, poll, recording } from "./__fixtures__/openai-client.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, file, tiny } = cliSandbox("tailor-api-dpo-", { HF_HUB_OFFLINE: "1" });
const CURT = "Stop writing to us about this; we have no time for questions like yours, sorry.";
const pairs = (questions: string[]) =>
  `${questions
    .map((q) =>
      JSON.stringify({
        input: { messages: [{ role: "user", content: q }] },
        preferred_output: [{ role: "assistant", content: CANNED }],
        non_preferred_output: [{ role: "assistant", content: CURT }],
      }),
    )
    .join("\n")}\n`;

let server: RunningServer;
let client: OpenAI;

describe("DPO through the OpenAI-compatible API with the official SDK", () => {
  before(async () => {
    tiny();
    server = await startServer({ home, port: 0 });
    client = new OpenAI({
      apiKey: readLocalAdminKey(home) ?? "",
      baseURL: `${server.url}/v1`,
      fetch: recording,
      maxRetries: 0,
    });
  });
  after(async () => server?.close());

  test("fineTuning.jobs.create with method dpo and a beta trains on the pairs to succeeded", async () => {
    const upload = (name: string, questions: string[]) =>
      client.files.create({
        file: createReadStream(file(name, pairs(questions))),
        purpose: "fine-tune",
      });
    const training = await upload(
      "pairs.jsonl",
      TOPICS.slice(0, 12).map((t) => `${t}?`),
    );
    assert.equal(training.status, "processed");
    const heldOut = await upload(
      "held-out.jsonl",
      TOPICS.slice(12).map((t) => `${t}?`),
    );
    await fails(
      client.fineTuning.jobs.create({ model: "tiny", training_file: training.id }),
      422,
      /holds preference pairs .*"method": \{"type": "dpo"\}/,
    );
    // Tailor's `processes` (torchrun) is for supervised training only
    await fails(
      client.fineTuning.jobs.create({
        model: "tiny",
        training_file: training.id,
        method: { type: "dpo" },
        processes: 2,
      } as Parameters<typeof client.fineTuning.jobs.create>[0]),
      400,
      /only supervised training runs on several processes/,
    );
    const job = await client.fineTuning.jobs.create({
      model: "tiny",
      training_file: training.id,
      validation_file: heldOut.id,
      suffix: "polite",
      method: {
        type: "dpo",
        dpo: { hyperparameters: { beta: 0.2, n_epochs: 4, learning_rate_multiplier: 10 } },
      },
    });
    assert.equal(job.method?.type, "dpo");
    assert.equal(job.method?.dpo?.hyperparameters?.beta, 0.2);
    const done = await poll(
      () => client.fineTuning.jobs.retrieve(job.id),
      (j) => ["succeeded", "failed", "cancelled"].includes(j.status),
      300_000,
    );
    assert.equal(done.status, "succeeded", JSON.stringify(done.error));
    assert.equal(done.method?.dpo?.hyperparameters?.beta, 0.2);
    assert.equal(done.method?.dpo?.hyperparameters?.n_epochs, 4);

    const events = await client.fineTuning.jobs.listEvents(job.id, { limit: 100 });
    const metrics = events.data.filter((e) => e.type === "metrics");
    assert.ok(metrics.length > 0);
    for (const e of metrics) {
      const data = e.data as { reward_accuracy?: unknown; reward_margin?: unknown };
      assert.equal(typeof data.reward_accuracy, "number", JSON.stringify(e));
      assert.equal(typeof data.reward_margin, "number");
    }

    const model = done.fine_tuned_model ?? "";
    assert.match(model, /^ft:tiny:polite:/);
    const res = await fetch(`${server.url}/v1/models/${encodeURIComponent(model)}/evaluation`, {
      headers: { authorization: `Bearer ${readLocalAdminKey(home)}` },
    });
    assert.equal(res.status, 200);
    const report = (await res.json()) as EvaluationReport;
    assert.equal(report.primary_metric, "pair_accuracy");
    assert.equal(report.models[0]?.metrics.pair_accuracy, 1);
    assert.ok(typeof report.models[1]?.metrics.pair_accuracy === "number");
    assert.ok((await checkContract(server.url)) > 0);
  });
});
