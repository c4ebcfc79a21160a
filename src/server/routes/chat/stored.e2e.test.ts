/**
 * Stored chat completions end to end: a real listening server, the real engine with the tiny model
 * (random weights: its words are noise, so the tests compare what was kept with what was answered),
 * and the official `openai` client's `store`, `metadata`, `retrieve`, `list`, `update`,
 * `messages.list` and `delete`; feedback through fetch, and the review item it filed read from the
 * database the server writes. Every JSON response is checked against the served OpenAPI document.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type { StoredChatCompletion } from "../../../../protocol/api/completions.ts";
import { KeyStore, readLocalAdminKey } from "../../../auth/index.ts";
import { cliSandbox } from "../../../cli/__fixtures__/cli.ts";
import { ReviewQueue } from "../../../review/index.ts";
import { InferenceEngine } from "../../../serving/index.ts";
import { openDb } from "../../../store/index.ts";
import { checkContract, fails, recording } from "../../__fixtures__/openai-client.ts";
import { type RunningServer, startServer } from "../../index.ts";

const { home, tiny } = cliSandbox("tailor-stored-e2e-", { HF_HUB_OFFLINE: "1" });
const settings = { model: "tiny", temperature: 0, seed: 7, max_tokens: 12 };
const question: OpenAI.ChatCompletionMessageParam[] = [
  { role: "system", content: "Answer in one sentence." },
  { role: "user", content: "When does the shop open?" },
];

let server: RunningServer;
const keys = { alice: "", bob: "" };
/** OpenAI returns a stored completion's metadata; the SDK's ChatCompletion type has no field for it. */
const metadataOf = (c: object) => (c as { metadata?: unknown }).metadata;
const client = (who: keyof typeof keys) =>
  new OpenAI({ apiKey: keys[who], baseURL: `${server.url}/v1`, fetch: recording, maxRetries: 0 });

describe("stored chat completions with the real engine and the official SDK", () => {
  before(async () => {
    tiny();
    server = await startServer({
      home,
      port: 0,
      worker: false,
      inference: new InferenceEngine({ env: { TAILOR_HOME: home, HF_HUB_OFFLINE: "1" } }),
    });
    const store = new KeyStore(openDb(home));
    keys.alice = store.create({ name: "alice", role: "member" }).key;
    keys.bob = store.create({ name: "bob", role: "member" }).key;
    store.db.close();
    assert.ok(readLocalAdminKey(home));
  });
  after(async () => server?.close());

  test("store and metadata: retrieve, list, messages, update and delete through the SDK", async () => {
    const alice = client("alice");
    const made = await alice.chat.completions.create({
      ...settings,
      messages: question,
      store: true,
      metadata: { topic: "hours" },
    });
    const answer = made.choices[0]?.message.content ?? "";
    const got = await alice.chat.completions.retrieve(made.id);
    assert.equal(got.id, made.id);
    assert.equal(got.choices[0]?.message.content, answer);
    assert.equal(got.choices[0]?.finish_reason, made.choices[0]?.finish_reason);
    assert.deepEqual(metadataOf(got), { topic: "hours" });

    // streamed: kept once the stream has ended, as the chunks said it
    const stream = await alice.chat.completions.create({
      ...settings,
      messages: question,
      store: true,
      stream: true,
    });
    let id = "";
    let text = "";
    for await (const chunk of stream) {
      id = chunk.id;
      text += chunk.choices[0]?.delta.content ?? "";
    }
    assert.equal((await alice.chat.completions.retrieve(id)).choices[0]?.message.content, text);

    // not kept without store
    const plain = await alice.chat.completions.create({ ...settings, messages: question });
    await fails(alice.chat.completions.retrieve(plain.id), 404, /no stored chat completion/);

    const listed = [];
    for await (const c of alice.chat.completions.list({ limit: 1 })) listed.push(c.id);
    assert.deepEqual(listed, [id, made.id], "newest first, page after page");
    const hours = await alice.chat.completions.list({ metadata: { topic: "hours" } });
    assert.deepEqual(
      hours.data.map((c) => c.id),
      [made.id],
    );

    const messages = await alice.chat.completions.messages.list(made.id);
    assert.deepEqual(
      messages.data.map((m) => [m.role, m.content]),
      [
        ["system", "Answer in one sentence."],
        ["user", "When does the shop open?"],
      ],
    );

    const updated = await alice.chat.completions.update(made.id, { metadata: { topic: "open" } });
    assert.deepEqual(metadataOf(updated), { topic: "open" });

    await fails(client("bob").chat.completions.retrieve(made.id), 404);
    await fails(client("bob").chat.completions.delete(made.id), 404);
    assert.deepEqual((await client("bob").chat.completions.list()).data, []);

    const deleted = await alice.chat.completions.delete(id);
    assert.deepEqual(deleted, { id, object: "chat.completion.deleted", deleted: true });
    await fails(alice.chat.completions.retrieve(id), 404);
  });

  test("feedback files the answer for review; again updates the same item", async () => {
    const alice = client("alice");
    const made = await alice.chat.completions.create({
      ...settings,
      messages: question,
      store: true,
    });
    const feedback = (body: unknown) =>
      recording(`${server.url}/v1/chat/completions/${made.id}/feedback`, {
        method: "POST",
        headers: { authorization: `Bearer ${keys.alice}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const res = await feedback({ rating: "down", wrong: true });
    assert.equal(res.status, 200);
    const first = (await res.json()) as StoredChatCompletion;
    assert.equal(first.tailor.feedback?.wrong, true);
    const ref = first.tailor.review_item;
    assert.equal(ref?.status, "pending");

    const again = (await (
      await feedback({ correction: "From nine to five." })
    ).json()) as StoredChatCompletion;
    assert.equal(again.tailor.review_item?.id, ref?.id);

    const db = openDb(home);
    try {
      const item = new ReviewQueue(db).get(ref?.id ?? "");
      assert.equal(item.source_id, made.id);
      assert.equal(item.owner, "alice");
      assert.equal(item.answer, made.choices[0]?.message.content);
      assert.deepEqual(
        item.question.map((m) => m.content),
        ["Answer in one sentence.", "When does the shop open?"],
      );
      assert.deepEqual(
        [item.feedback.rating, item.feedback.wrong, item.proposed],
        ["down", true, "From nine to five."],
      );
    } finally {
      db.close();
    }
    assert.ok((await checkContract(server.url)) >= 10);
  });
});
