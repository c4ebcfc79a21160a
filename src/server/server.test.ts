/**
 * The API end to end: a real listening server on a temporary TAILOR_HOME, the real engine and the
 * tiny model, and the official `openai` npm package as the client. Every response the tests see is
 * recorded and checked against the served OpenAPI document at the end.
 */
import assert from "node:assert/strict";
import { createReadStream, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import OpenAI from "openai";
import type { EvaluationReport, ModelCard } from "../../protocol/evals.ts";
import { KeyStore, readLocalAdminKey } from "../auth/index.ts";
import { CANNED, chatLine, cliSandbox, supportJsonl } from "../cli/__fixtures__/cli.ts";
import { InferenceEngine } from "../serving/index.ts";
import { openDb } from "../store/index.ts";
import { checkContract, fails, poll, recording } from "./__fixtures__/openai-client.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, file, tiny } = cliSandbox("tailor-api-", { HF_HUB_OFFLINE: "1" });

let server: RunningServer;

/** The real inference client, counting generations whose caller went away before the end. */
class WatchedInference extends InferenceEngine {
  abandoned = 0;
  override async *generate(...args: Parameters<InferenceEngine["generate"]>) {
    try {
      yield* super.generate(...args);
    } finally {
      if (args[1]?.signal?.aborted) this.abandoned++;
    }
  }
}
const inference = new WatchedInference();
const keys: Record<"admin" | "alice" | "bob" | "viewer", string> = {
  admin: "",
  alice: "",
  bob: "",
  viewer: "",
};

const client = (who: keyof typeof keys) =>
  new OpenAI({ apiKey: keys[who], baseURL: `${server.url}/v1`, fetch: recording, maxRetries: 0 });

describe("the OpenAI-compatible API with the official SDK", () => {
  let fineTuned = "";
  let aliceFile = "";

  before(async () => {
    tiny();
    server = await startServer({
      home,
      port: 0,
      inference,
      limits: { maxUploadBytes: 1024 * 1024, requestsPerMinute: 300 },
    });
    keys.admin = readLocalAdminKey(home) ?? "";
    const store = new KeyStore(openDb(home));
    keys.alice = store.create({ name: "alice", role: "member" }).key;
    keys.bob = store.create({ name: "bob", role: "member" }).key;
    keys.viewer = store.create({ name: "kiosk", role: "viewer" }).key;
    store.db.close();
  });
  after(async () => server?.close());

  test("upload a file, fine-tune on it, poll to succeeded, list events and checkpoints", async () => {
    const alice = client("alice");
    const upload = await alice.files.create({
      file: createReadStream(file("support.jsonl", supportJsonl())),
      purpose: "fine-tune",
    });
    assert.match(upload.id, /^file-/);
    assert.equal(upload.status, "processed");
    aliceFile = upload.id;
    const heldOut = await alice.files.create({
      file: createReadStream(
        file(
          "held-out.jsonl",
          `${["My pedal fell off?", "Can I pay by card?", "Do you sell gloves?"].map((q) => chatLine(q, CANNED)).join("\n")}\n`,
        ),
      ),
      purpose: "fine-tune",
    });
    const job = await alice.fineTuning.jobs.create({
      model: "tiny",
      training_file: upload.id,
      validation_file: heldOut.id,
      suffix: "support",
      hyperparameters: { n_epochs: 10, learning_rate_multiplier: 10 },
    });
    assert.match(job.id, /^ftjob-/);
    assert.ok(
      ["validating_files", "queued", "running"].includes(job.status),
      `${job.status}: ${JSON.stringify(job.error)}`,
    );
    assert.equal(job.hyperparameters.n_epochs, 10);
    const done = await poll(
      () => alice.fineTuning.jobs.retrieve(job.id),
      (j) => ["succeeded", "failed", "cancelled"].includes(j.status),
      300_000,
    );
    assert.equal(done.status, "succeeded", JSON.stringify(done.error));
    assert.match(done.fine_tuned_model ?? "", /^ft:tiny:support:[0-9a-f]{8}$/);
    fineTuned = done.fine_tuned_model ?? "";

    const events = await alice.fineTuning.jobs.listEvents(job.id, { limit: 100 });
    assert.ok(events.data.some((e) => e.type === "metrics"));
    assert.match(events.data[0]?.message ?? "", /Trained \d+ steps/); // newest first
    const ckpts = await alice.fineTuning.jobs.checkpoints.list(job.id);
    assert.ok(ckpts.data.length >= 1);
    assert.match(ckpts.data[0]?.fine_tuned_model_checkpoint ?? "", /:ckpt-step-\d+$/);
  });

  test("the job tested its model against the base: promotion state, evaluation and card", async () => {
    const alice = client("alice");
    const model = (await alice.models.retrieve(fineTuned)) as unknown as {
      tailor: { promotion: { status: string; reason: string } | null };
    };
    assert.equal(model.tailor.promotion?.status, "ready", model.tailor.promotion?.reason);
    assert.match(model.tailor.promotion?.reason ?? "", /on 3 held-out examples against its base/);
    const base = (await alice.models.retrieve("tiny")) as unknown as typeof model;
    assert.equal(base.tailor.promotion, null);

    const report = await alice.get<EvaluationReport>(`/models/${fineTuned}/evaluation`);
    assert.equal(report.data.examples, 3);
    assert.deepEqual(
      report.models.map((m) => m.model),
      [fineTuned, "tiny"],
    );
    assert.equal(
      (report.outcome?.wins ?? 0) + (report.outcome?.ties ?? 0) + (report.outcome?.losses ?? 0),
      3,
    );
    const card = await alice.get<ModelCard>(`/models/${fineTuned}/card`);
    assert.equal(card.model, fineTuned);
    assert.equal(card.promotion.status, "ready");
    const md = await fetch(`${server.url}/v1/models/${fineTuned}/card?format=markdown`, {
      headers: { authorization: `Bearer ${keys.alice}` },
    });
    assert.match(md.headers.get("content-type") ?? "", /text\/markdown/);
    assert.match(await md.text(), /^# Model card: /);
    await fails(alice.get(`/models/tiny/evaluation`), 404);
    await fails(client("bob").get(`/models/${fineTuned}/card`), 404);
  });

  test("chat with the fine-tuned model, plain and streamed, with usage", async () => {
    const alice = client("alice");
    const messages = [{ role: "user" as const, content: "My brakes squeal?" }];
    const plain = await alice.chat.completions.create({
      model: fineTuned,
      messages,
      temperature: 0,
      max_tokens: 40,
    });
    assert.equal(plain.choices[0]?.message.content, CANNED);
    assert.ok((plain.usage?.prompt_tokens ?? 0) > 0 && (plain.usage?.completion_tokens ?? 0) > 0);
    const stream = await alice.chat.completions.create({
      model: fineTuned,
      messages,
      temperature: 0,
      max_tokens: 40,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(chunks > 3, `${chunks} chunks`);
    assert.equal(text, CANNED);
    assert.equal(usage?.completion_tokens, plain.usage?.completion_tokens);
    const base = await alice.chat.completions.create({
      model: "tiny",
      messages,
      temperature: 0,
      max_tokens: 20,
    });
    assert.notEqual(base.choices[0]?.message.content, CANNED);
  });

  test("a client that disconnects stops its generation", async () => {
    const stream = await client("alice").chat.completions.create({
      model: "tiny", // random weights: it would go on to max_tokens
      messages: [{ role: "user", content: "Tell me everything." }],
      max_tokens: 2000,
      stream: true,
    });
    for await (const _chunk of stream) break; // leaving the loop closes the connection
    const end = Date.now() + 20_000;
    while (inference.abandoned === 0 && Date.now() < end) await sleep(100);
    assert.equal(inference.abandoned, 1, "the server passed the disconnect on to the engine");
    const after = await client("alice").chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 3,
    });
    assert.equal(after.choices[0]?.finish_reason, "length"); // the engine is free for the next request
  });

  test("embeddings from the offline MiniLM (the SDK asks for base64)", async () => {
    const r = await client("viewer").embeddings.create({
      model: "all-minilm-l6-v2",
      input: ["a red bicycle", "a crimson bike", "tax law"],
    });
    const [a, b, c] = r.data.map((d) => d.embedding as number[]);
    assert.equal(a?.length, 384);
    const dot = (x: number[] = [], y: number[] = []) =>
      x.reduce((s, v, i) => s + v * (y[i] ?? 0), 0);
    assert.ok(dot(a, b) > dot(a, c));
  });

  test("members see only their own files, jobs and models; an admin can share a model", async () => {
    const bob = client("bob");
    await fails(bob.files.retrieve(aliceFile), 404);
    assert.equal((await bob.files.list()).data.length, 0);
    assert.equal((await bob.fineTuning.jobs.list()).data.length, 0);
    await fails(
      bob.chat.completions.create({
        model: fineTuned,
        messages: [{ role: "user", content: "hi" }],
      }),
      404,
    );
    assert.ok(!(await bob.models.list()).data.some((m) => m.id === fineTuned));
    const viewer = client("viewer");
    await fails(viewer.files.list(), 403);
    await fails(viewer.fineTuning.jobs.create({ model: "tiny", training_file: aliceFile }), 403);

    const shared = await fetch(`${server.url}/v1/models/${encodeURIComponent(fineTuned)}/share`, {
      method: "POST",
      headers: { authorization: `Bearer ${keys.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ shared: true }),
    });
    assert.equal(shared.status, 200);
    const answer = await bob.chat.completions.create({
      model: fineTuned,
      messages: [{ role: "user", content: "My brakes squeal?" }],
      temperature: 0,
      max_tokens: 40,
    });
    assert.equal(answer.choices[0]?.message.content, CANNED);
    await fails(bob.models.delete(fineTuned), 403); // shared with bob, not his
  });

  test("an invalid file is accepted, and a job on it fails in validating_files with the first errors", async () => {
    const alice = client("alice");
    const bad = await alice.files.create({
      file: createReadStream(file("bad.jsonl", `${chatLine("a", "b")}\n{"messages": [\n`)),
      purpose: "fine-tune",
    });
    assert.equal(bad.status, "error");
    assert.match(
      (bad as unknown as { status_details: string }).status_details,
      /bad\.jsonl:2: is not valid JSON/,
    );
    const job = await alice.fineTuning.jobs.create({ model: "tiny", training_file: bad.id });
    assert.equal(job.status, "failed");
    assert.match(job.error?.message ?? "", /bad\.jsonl:2: is not valid JSON/);
  });

  test("errors come in OpenAI's shape with the right status", async () => {
    const noKey = new OpenAI({
      apiKey: "tailor-sk-not-a-key",
      baseURL: `${server.url}/v1`,
      fetch: recording,
      maxRetries: 0,
    });
    await fails(noKey.models.list(), 401, /not valid/);
    const alice = client("alice");
    await fails(alice.files.retrieve("file-nope"), 404);
    await fails(
      alice.fineTuning.jobs.create({ model: "no-such-model", training_file: aliceFile }),
      404,
      /not a base model/,
    );
    await fails(alice.chat.completions.create({ model: "tiny", messages: [] }), 400, /messages/);
    await fails(
      alice.chat.completions.create({
        model: "tiny",
        messages: [{ role: "user", content: "x" }],
        temperature: 9,
      }),
      400,
      /temperature/,
    );
    const [done] = (await alice.fineTuning.jobs.list()).data.filter(
      (j) => j.status === "succeeded",
    );
    await fails(alice.fineTuning.jobs.cancel(done?.id ?? ""), 409, /already succeeded/);
    await fails(
      alice.files.create({
        file: createReadStream(file("big.jsonl", Buffer.alloc(2 * 1024 * 1024, 97))),
        purpose: "fine-tune",
      }),
      413,
      /upload limit/,
    );
    const notes = await alice.files.create({
      file: createReadStream(file("notes.txt", "some notes")),
      purpose: "assistants",
    });
    await fails(
      alice.fineTuning.jobs.create({ model: "tiny", training_file: notes.id }),
      422,
      /purpose=fine-tune/,
    );
    await fails(
      alice.chat.completions.create({
        model: "tiny",
        messages: [{ role: "user", content: "x".repeat(5 * 1024 * 1024) }],
      }),
      413,
      /larger than/,
    );
    const corrupt = join(home, "models", "broken");
    mkdirSync(corrupt, { recursive: true });
    writeFileSync(join(corrupt, "tailor-model.json"), "{ not json");
    await fails(client("admin").models.retrieve("broken"), 500);
    const burst = new OpenAI({
      apiKey: keys.bob,
      baseURL: `${server.url}/v1`,
      fetch: recording,
      maxRetries: 0,
    });
    let limited: unknown = null;
    for (let i = 0; i < 400 && !limited; i++) await burst.models.list().catch((e) => (limited = e));
    assert.ok(limited instanceof OpenAI.RateLimitError, String(limited));
  });

  test("models: list, retrieve, delete a fine-tuned one; base models cannot be deleted", async () => {
    const alice = client("alice");
    const ids = (await alice.models.list()).data.map((m) => m.id);
    assert.ok(
      ids.includes("tiny") && ids.includes(fineTuned) && ids.includes("all-minilm-l6-v2"),
      ids.join(", "),
    );
    assert.equal((await alice.models.retrieve(fineTuned)).id, fineTuned);
    await fails(alice.models.delete("tiny"), 403);
    assert.equal((await alice.models.delete(fineTuned)).deleted, true);
    await fails(
      alice.chat.completions.create({
        model: fineTuned,
        messages: [{ role: "user", content: "hi" }],
      }),
      404,
    );
  });

  test("the audit log records each step and each refusal (admin only)", async () => {
    await fails(client("alice").get("/audit"), 403);
    const log = (await client("admin").get("/audit", { query: { limit: 1000 } })) as {
      data: { action: string; result: string; owner: string | null; status: number }[];
    };
    const has = (action: string, result: string, owner?: string) =>
      log.data.some(
        (e) =>
          e.action === action && e.result === result && (owner === undefined || e.owner === owner),
      );
    assert.ok(has("POST /v1/files", "ok", "alice"));
    assert.ok(has("POST /v1/fine_tuning/jobs", "ok", "alice"));
    assert.ok(has("DELETE /v1/models/:model", "ok", "alice"));
    assert.ok(has("POST /v1/fine_tuning/jobs", "denied", "kiosk"));
    assert.ok(
      log.data.some(
        (e) => e.status === 401 && e.result === "denied" && e.action === "GET /v1/models",
      ),
    );
    assert.ok(has("GET /v1/audit", "denied", "alice"));
  });

  test("contract: the served OpenAPI document validates every JSON response the tests saw", async () => {
    const checked = await checkContract(server.url);
    assert.ok(checked > 20, `${checked} responses checked`);
    const docs = await fetch(`${server.url}/docs`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger-ui-bundle\.js/);
    assert.equal((await fetch(`${server.url}/docs/swagger-ui-bundle.js`)).status, 200);
  });
});
