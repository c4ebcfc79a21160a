/**
 * Continuing from a fine-tuned model through the API, with the official `openai` client on a real
 * listening server (real engine, tiny model): `model` may be a fine-tuned model the caller may use;
 * the new model is `ft:<base>:<suffix>:<id>` and its model object and card name the parent; others'
 * models are not theirs to continue until shared; a different LoRA rank is refused; deleting the
 * parent leaves the child working.
 */
import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type { ModelCard } from "../../protocol/evals.ts";
import { KeyStore, readLocalAdminKey } from "../auth/index.ts";
import { CANNED, chatLine, cliSandbox, supportJsonl } from "../cli/__fixtures__/cli.ts";
import { openDb } from "../store/index.ts";
import { checkContract, fails, poll, recording } from "./__fixtures__/openai-client.ts";
import { type RunningServer, startServer } from "./index.ts";

const { home, file, tiny } = cliSandbox("tailor-api-continue-", { HF_HUB_OFFLINE: "1" });

let server: RunningServer;
const keys = { admin: "", alice: "", bob: "" };
const client = (who: keyof typeof keys) =>
  new OpenAI({ apiKey: keys[who], baseURL: `${server.url}/v1`, fetch: recording, maxRetries: 0 });

type Lineage = {
  tailor: { parent?: { id: string; job_id: string | null; deleted: boolean } | null };
};

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

async function upload(who: keyof typeof keys, name: string, content: string): Promise<string> {
  const f = await client(who).files.create({
    file: createReadStream(file(name, content)),
    purpose: "fine-tune",
  });
  return f.id;
}

async function finished(who: keyof typeof keys, id: string) {
  const done = await poll(
    () => client(who).fineTuning.jobs.retrieve(id),
    (j) => ["succeeded", "failed", "cancelled"].includes(j.status),
    300_000,
  );
  assert.equal(done.status, "succeeded", JSON.stringify(done.error));
  return done;
}

describe("continuing a fine-tuned model through the API", () => {
  let parent = "";
  let parentJob = "";
  let child = "";
  let newFile = "";

  before(async () => {
    tiny();
    server = await startServer({ home, port: 0, limits: { requestsPerMinute: 300 } });
    keys.admin = readLocalAdminKey(home) ?? "";
    const store = new KeyStore(openDb(home));
    keys.alice = store.create({ name: "alice", role: "member" }).key;
    keys.bob = store.create({ name: "bob", role: "member" }).key;
    store.db.close();
  });
  after(async () => server?.close());

  test("jobs.create with a fine-tuned model continues it; the new model names its parent", async () => {
    const alice = client("alice");
    const job = await alice.fineTuning.jobs.create({
      model: "tiny",
      training_file: await upload("alice", "support.jsonl", supportJsonl()),
      suffix: "emails",
      hyperparameters: { n_epochs: 10, learning_rate_multiplier: 10 },
    });
    parent = (await finished("alice", job.id)).fine_tuned_model ?? "";
    parentJob = job.id;
    assert.match(parent, /^ft:tiny:emails:[0-9a-f]{8}$/);

    newFile = await upload(
      "alice",
      "new.jsonl",
      `${NEW.map((q) => chatLine(`${q}?`, CANNED)).join("\n")}\n`,
    );
    const next = await alice.fineTuning.jobs.create({
      model: parent,
      training_file: newFile,
      suffix: "emails",
      hyperparameters: { n_epochs: 2 },
    });
    assert.equal(next.model, parent); // as OpenAI: the model asked for
    const tailor = (next as unknown as { tailor: { parent: unknown; explanations: string[] } })
      .tailor;
    assert.deepEqual(tailor.parent, { name: parent, job_id: parentJob });
    assert.match(
      tailor.explanations[0] ?? "",
      new RegExp(`^continues from ${parent} \\(trained on ds-`),
    );
    child = (await finished("alice", next.id)).fine_tuned_model ?? "";
    assert.match(child, /^ft:tiny:emails:[0-9a-f]{8}$/); // named after the base, as OpenAI does
    assert.notEqual(child, parent);

    const model = (await alice.models.retrieve(child)) as unknown as Lineage;
    assert.deepEqual(model.tailor.parent, { id: parent, job_id: parentJob, deleted: false });
    for (const other of [parent, "tiny"]) {
      assert.equal(
        ((await alice.models.retrieve(other)) as unknown as Lineage).tailor.parent,
        null,
      );
    }
    const card = await alice.get<ModelCard>(`/models/${child}/card`);
    assert.equal(card.parent?.model, parent);
    assert.equal(card.parent?.examples, 16);
    assert.match(card.parent?.training_data ?? "", /^ds-/);
  });

  test("a different LoRA rank, an unknown model and others' models are refused", async () => {
    const alice = client("alice");
    await fails(
      alice.fineTuning.jobs.create({
        model: parent,
        training_file: newFile,
        hyperparameters: { lora_rank: 4 } as never,
      }),
      400,
      new RegExp(`LoRA rank 4 was asked for, but ${parent}'s adapter has rank 8`),
    );
    await fails(
      alice.fineTuning.jobs.create({ model: "ft:tiny:emails:00000000", training_file: newFile }),
      404,
      /not a base model here, nor a fine-tuned model of yours/,
    );
    const bob = client("bob");
    const bobFile = await upload("bob", "bob.jsonl", supportJsonl());
    await fails(
      bob.fineTuning.jobs.create({ model: parent, training_file: bobFile }),
      404,
      /not a base model here, nor a fine-tuned model of yours/,
    );
    // the studio's plan: refused the same way, until an admin shares the model
    const plan = { model: parent, training_file: bobFile };
    await fails(
      bob.post("/fine_tuning/plan", { body: plan }),
      404,
      /nor a fine-tuned model of yours/,
    );
    const shared = await fetch(`${server.url}/v1/models/${encodeURIComponent(parent)}/share`, {
      method: "POST",
      headers: { authorization: `Bearer ${keys.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ shared: true }),
    });
    assert.equal(shared.status, 200);
    const planned = await bob.post<{
      explanations: string[];
      hyperparameters: { lora_rank: number };
    }>("/fine_tuning/plan", { body: plan });
    assert.match(planned.explanations[0] ?? "", new RegExp(`^continues from ${parent} `));
    assert.equal(planned.hyperparameters.lora_rank, 8);
  });

  test("deleting the parent leaves the child answering, marked deleted in its lineage", async () => {
    const alice = client("alice");
    await alice.models.delete(parent);
    const model = (await alice.models.retrieve(child)) as unknown as Lineage;
    assert.deepEqual(model.tailor.parent, { id: parent, job_id: parentJob, deleted: true });
    const card = await alice.get<ModelCard>(`/models/${child}/card`);
    assert.equal(card.parent?.deleted, true);
    const answer = await alice.chat.completions.create({
      model: child,
      messages: [{ role: "user", content: "Do you sell gloves?" }],
      temperature: 0,
      max_tokens: 40,
    });
    assert.equal(answer.choices[0]?.message.content, CANNED);
    assert.ok((await checkContract(server.url)) > 5);
  });
});
