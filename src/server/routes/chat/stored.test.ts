/**
 * Stored chat completions and feedback into the review queue, in process (hono's app.request) on a
 * real database with a scripted engine: `store: true` (whole and streamed) and a model name that
 * keeps its completions, a refusal kept as given, OpenAI's list/retrieve/update/messages/delete with
 * owners kept apart, and feedback that files one review item per answer (updated while pending,
 * left alone once decided), for completions and for an assistant's conversation. The real engine
 * and the official client are in stored.e2e.test.ts.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { StoredChatCompletion } from "../../../../protocol/api/completions.ts";
import { ensureAdminKey, RateLimiter } from "../../../auth/index.ts";
import { cliSandbox } from "../../../cli/__fixtures__/cli.ts";
import { PlanCache } from "../../../jobs/index.ts";
import { KnowledgeBase } from "../../../knowledge/index.ts";
import { EngineModerator, EngineNameFinder } from "../../../safety/index.ts";
import { openServices, type Services } from "../../../services/index.ts";
import type { GenerateEvent, InferenceEngine } from "../../../serving/index.ts";
import { pytorchChat } from "../../../serving/index.ts";
import { buildApp } from "../../app.ts";
import { DEFAULT_LIMITS } from "../../context.ts";

const { home, tiny } = cliSandbox("tailor-stored-");
const ANSWER = "Hello there, visitor.";
const DAY = 86_400;

/** An engine that answers every generation with the same words, in pieces. */
class ScriptedEngine {
  async *generate(): AsyncGenerator<GenerateEvent> {
    for (const t of ANSWER.match(/.{1,5}/g) ?? []) yield { type: "delta", index: 0, text: t };
    yield {
      type: "result",
      choices: [{ index: 0, text: ANSWER, finish_reason: "stop" }],
      prompt_tokens: 10,
      completion_tokens: 5,
    };
  }
  async countTokens(): Promise<number> {
    return 10;
  }
  async close(): Promise<void> {}
}

let services: Services;
let app: ReturnType<typeof buildApp>;
const keys = { admin: "", alice: "", bob: "", viewer: "" };

before(() => {
  tiny();
  services = openServices(home);
  keys.admin = ensureAdminKey(home, services.keys).key;
  keys.alice = services.keys.create({ name: "alice", role: "member" }).key;
  keys.bob = services.keys.create({ name: "bob", role: "member" }).key;
  keys.viewer = services.keys.create({ name: "vera", owner: "alice", role: "viewer" }).key;
  const inference = new ScriptedEngine() as unknown as InferenceEngine;
  app = buildApp({
    ...services,
    plans: new PlanCache(services),
    inference,
    ...pytorchChat(inference),
    safety: inference,
    moderator: new EngineModerator(inference),
    names: new EngineNameFinder(inference),
    knowledge: new KnowledgeBase(services.db, { embedder: inference, files: services.files }),
    limiter: new RateLimiter({ requestsPerMinute: 1000 }),
    limits: DEFAULT_LIMITS,
    functionPrivateHosts: [],
    studioDir: null,
  });
});
after(() => {
  services.close();
  rmSync(home, { recursive: true, force: true });
});

async function call(who: keyof typeof keys, path: string, body?: unknown, method?: string) {
  const res = await app.request(path, {
    method: method ?? (body === undefined ? "GET" : "POST"),
    headers: {
      authorization: `Bearer ${keys[who]}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {}
  // biome-ignore lint/suspicious/noExplicitAny: test reads of JSON bodies
  return { status: res.status, json: json as any, text };
}

const ask = (who: keyof typeof keys, extra: Record<string, unknown> = {}) =>
  call(who, "/v1/chat/completions", {
    model: "tiny",
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "When does the shop open?" },
    ],
    max_tokens: 8,
    ...extra,
  });

describe("stored chat completions", () => {
  test("store: true keeps the answer, whole and streamed; without it nothing is kept", async () => {
    const plain = await ask("alice");
    assert.equal(plain.status, 200);
    assert.equal((await call("alice", `/v1/chat/completions/${plain.json.id}`)).status, 404);

    const kept = await ask("alice", { store: true, metadata: { topic: "hours" } });
    assert.equal(kept.status, 200);
    const got = await call("alice", `/v1/chat/completions/${kept.json.id}`);
    assert.equal(got.status, 200);
    const s = got.json as StoredChatCompletion;
    assert.equal(s.object, "chat.completion");
    assert.equal(s.model, "tiny");
    assert.equal(s.choices[0]?.message.content, ANSWER);
    assert.equal(s.choices[0]?.finish_reason, "stop");
    assert.deepEqual(s.metadata, { topic: "hours" });
    assert.equal(s.tailor.resolved_model, "tiny");
    assert.equal(s.tailor.owner, "alice");
    assert.equal(s.tailor.expires_at, s.created + 30 * DAY);
    assert.equal(s.tailor.feedback, null);

    const streamed = await ask("alice", { store: true, stream: true });
    assert.equal(streamed.status, 200);
    assert.match(streamed.text, /\[DONE\]/);
    const id = /"id":"(chatcmpl-[0-9a-f]+)"/.exec(streamed.text)?.[1];
    const s2 = (await call("alice", `/v1/chat/completions/${id}`)).json as StoredChatCompletion;
    assert.equal(s2.choices[0]?.message.content, ANSWER);

    const msgs = await call("alice", `/v1/chat/completions/${kept.json.id}/messages`);
    assert.equal(msgs.status, 200);
    assert.deepEqual(
      msgs.json.data.map((m: { id: string; role: string; content: string }) => [
        m.id,
        m.role,
        m.content,
      ]),
      [
        [`${kept.json.id}-0`, "system", "Be brief."],
        [`${kept.json.id}-1`, "user", "When does the shop open?"],
      ],
    );
    const page = await call(
      "alice",
      `/v1/chat/completions/${kept.json.id}/messages?limit=1&order=desc`,
    );
    assert.deepEqual([page.json.data[0].role, page.json.has_more], ["user", true]);

    assert.equal(
      (await ask("alice", { store: true, metadata: { a: "x".repeat(513) } })).status,
      400,
    );
  });

  test("a blocked answer is kept as the caller got it (content_filter)", async () => {
    const policy = { output: { blocked_terms: ["visitor"] }, refusal: "I can't say that." };
    for (const stream of [false, true]) {
      const r = await ask("alice", { store: true, stream, tailor: { moderation: policy } });
      assert.equal(r.status, 200);
      const id = stream ? /"id":"(chatcmpl-[0-9a-f]+)"/.exec(r.text)?.[1] : r.json.id;
      const s = (await call("alice", `/v1/chat/completions/${id}`)).json as StoredChatCompletion;
      assert.equal(s.choices[0]?.finish_reason, "content_filter", `stream: ${stream}`);
      assert.match(s.choices[0]?.message.content ?? "", /I can't say that\.$/);
    }
  });

  test("a model name that keeps completions keeps them without store, for its retention", async () => {
    services.modelNames.create("hours", "alice", "tiny", "alice", "test");
    services.modelNames.setStorage("hours", { storeCompletions: true, retentionDays: 7 });
    const r = await ask("alice", { model: "hours" });
    assert.equal(r.status, 200, r.text);
    const s = (await call("alice", `/v1/chat/completions/${r.json.id}`))
      .json as StoredChatCompletion;
    assert.equal(s.model, "hours");
    assert.equal(s.tailor.resolved_model, "tiny");
    assert.equal(s.tailor.expires_at, s.created + 7 * DAY);
  });

  test("list: newest first, by model and metadata; owners apart, admins see all; delete", async () => {
    const a1 = (await ask("alice", { store: true, metadata: { team: "red" } })).json.id;
    const a2 = (await ask("alice", { store: true, metadata: { team: "blue" } })).json.id;
    const b1 = (await ask("bob", { store: true, metadata: { team: "red" } })).json.id;

    const mine = await call("alice", "/v1/chat/completions?limit=2");
    assert.equal(mine.status, 200);
    assert.deepEqual(
      mine.json.data.map((c: { id: string }) => c.id),
      [a2, a1],
    );
    assert.equal(mine.json.has_more, true);
    const red = await call("alice", "/v1/chat/completions?metadata%5Bteam%5D=red");
    assert.deepEqual(
      red.json.data.map((c: { id: string }) => c.id),
      [a1],
    );
    const byName = await call("alice", "/v1/chat/completions?model=hours");
    assert.equal(byName.json.data.length, 1);
    const all = await call("admin", "/v1/chat/completions?metadata%5Bteam%5D=red");
    assert.deepEqual(
      all.json.data.map((c: { id: string }) => c.id),
      [b1, a1],
    );

    assert.equal((await call("bob", `/v1/chat/completions/${a1}`)).status, 404);
    assert.equal((await call("bob", `/v1/chat/completions/${a1}/messages`)).status, 404);
    assert.equal(
      (await call("bob", `/v1/chat/completions/${a1}`, undefined, "DELETE")).status,
      404,
    );
    assert.equal((await call("viewer", `/v1/chat/completions/${a1}`)).status, 200);
    assert.equal(
      (await call("viewer", `/v1/chat/completions/${a1}`, undefined, "DELETE")).status,
      403,
    );

    const upd = await call("alice", `/v1/chat/completions/${a1}`, { metadata: { team: "green" } });
    assert.deepEqual([upd.status, upd.json.metadata], [200, { team: "green" }]);

    const del = await call("alice", `/v1/chat/completions/${a1}`, undefined, "DELETE");
    assert.deepEqual(del.json, { id: a1, object: "chat.completion.deleted", deleted: true });
    assert.equal((await call("alice", `/v1/chat/completions/${a1}`)).status, 404);
  });

  test("feedback files one review item per answer: updated while pending, left once decided", async () => {
    const id = (await ask("alice", { store: true })).json.id;
    assert.equal(
      (await call("viewer", `/v1/chat/completions/${id}/feedback`, { rating: "up" })).status,
      403,
    );
    assert.equal(
      (await call("bob", `/v1/chat/completions/${id}/feedback`, { rating: "up" })).status,
      404,
    );
    const bad = await call("alice", `/v1/chat/completions/${id}/feedback`, { rating: "meh" });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.param, "rating");

    const first = await call("alice", `/v1/chat/completions/${id}/feedback`, { rating: "down" });
    assert.equal(first.status, 200, first.text);
    const ref = first.json.tailor.review_item;
    assert.equal(ref.status, "pending");
    assert.equal(ref.updated, true);
    assert.equal(first.json.tailor.feedback.rating, "down");

    const item = services.review.get(ref.id);
    assert.deepEqual(
      [item.source, item.source_id, item.owner, item.model, item.resolved_model, item.answer],
      ["completion", id, "alice", "tiny", "tiny", ANSWER],
    );
    assert.deepEqual(
      item.question.map((m) => m.content),
      ["Be brief.", "When does the shop open?"],
    );
    assert.equal(item.proposed, null); // rated down without a correction: nothing proposed yet

    const second = await call("alice", `/v1/chat/completions/${id}/feedback`, {
      wrong: true,
      correction: "From nine to five.",
    });
    assert.equal(second.json.tailor.review_item.id, ref.id);
    assert.equal(second.json.tailor.feedback.rating, "down"); // merged
    assert.equal(services.review.get(ref.id).proposed, "From nine to five.");

    services.review.accept(ref.id, "alice");
    const late = await call("alice", `/v1/chat/completions/${id}/feedback`, {
      correction: "Nine.",
    });
    assert.equal(late.status, 200);
    assert.equal(late.json.tailor.feedback.correction, "Nine."); // kept with the answer
    assert.deepEqual(
      [late.json.tailor.review_item.status, late.json.tailor.review_item.updated],
      ["accepted", false],
    );
    assert.match(late.json.tailor.review_item.message, /already accepted by alice/);
    assert.equal(services.review.get(ref.id).final_answer, "From nine to five.");
  });

  test("the owner's feedback on an assistant's answer files it with that version's instructions", async () => {
    const a = services.assistants.create("alice", "key-test", {
      name: "Shop helper",
      model: "tiny",
      instructions: "Answer about the shop.",
      retention_days: 7,
    });
    services.assistants.update(a.id, "key-test", { instructions: "Answer in French." });
    const conv = services.conversations.start(a.id, "share", "visitor-1", 7);
    const base = { sources: [], function_calls: [] };
    services.conversations.append(
      conv.id,
      { ...base, role: "user", content: "Open on Sunday?", version: null, finish_reason: null },
      7,
    );
    const answer = services.conversations.append(
      conv.id,
      { ...base, role: "assistant", content: "Yes.", version: 1, finish_reason: "stop" },
      7,
    );
    const path = `/v1/assistants/${a.id}/conversations/${conv.id}/messages/${answer.id}/feedback`;
    assert.equal((await call("bob", path, { rating: "down" })).status, 404);
    const r = await call("alice", path, { rating: "down", correction: "No, closed on Sundays." });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.feedback.correction, "No, closed on Sundays.");

    const items = services.review.list("alice", { status: "pending" }).data;
    const item = items.find((i) => i.source_id === conv.id);
    assert.ok(item);
    assert.deepEqual(
      [item.source, item.message_id, item.owner, item.model, item.answer, item.proposed],
      ["conversation", answer.id, "alice", "tiny", "Yes.", "No, closed on Sundays."],
    );
    // version 1 answered: its instructions, not version 2's
    assert.deepEqual(item.question, [
      { role: "system", content: "Answer about the shop." },
      { role: "user", content: "Open on Sunday?" },
    ]);
  });
  test("a visitor's feedback on the share page files the answer for the assistant's owner", async () => {
    const a = services.assistants.create("bob", "key-test", {
      name: "Bike shop",
      model: "tiny",
      instructions: "You help with bikes.",
      retention_days: 7,
    });
    services.assistants.publish(a.id, { access: "public", slug: "bike-shop" });
    const jar = new Map<string, string>();
    const visit = async (path: string, body?: unknown) => {
      const headers: Record<string, string> = {};
      if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await app.request(path, {
        method: body === undefined ? "GET" : "POST",
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      for (const line of res.headers.getSetCookie()) {
        const [pair = ""] = line.split(";");
        const eq = pair.indexOf("=");
        if (eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      return res;
    };
    await visit("/a/bike-shop/api/info");
    const conv = (await (await visit("/a/bike-shop/api/conversations", {})).json()) as {
      id: string;
    };
    const asked = await visit(`/a/bike-shop/api/conversations/${conv.id}/messages`, {
      content: "Do you fix brakes?",
    });
    assert.equal(asked.status, 200);
    await asked.text();
    const answer = services.conversations.get(conv.id).messages[1];
    assert.equal(answer?.content, ANSWER);
    const fb = await visit(
      `/a/bike-shop/api/conversations/${conv.id}/messages/${answer?.id}/feedback`,
      { rating: "up" },
    );
    assert.equal(fb.status, 200);
    const item = services.review.list("bob").data.find((i) => i.message_id === answer?.id);
    assert.ok(item, "filed for bob's review");
    assert.deepEqual(
      [item.source, item.source_id, item.proposed, item.feedback.rating],
      ["conversation", conv.id, ANSWER, "up"],
    );
    assert.deepEqual(item.question, [
      { role: "system", content: "You help with bikes." },
      { role: "user", content: "Do you fix brakes?" },
    ]);
  });
});
