/**
 * `/v1/assistants/{id}/conversations` on a real listening server and real SQLite: the owner lists,
 * reads, corrects, exports, redacts and deletes; another member sees no such assistant; a viewer
 * of the owner reads and exports but changes nothing; an admin sees everyone's. No engine: the
 * conversations are written through the store as the share page would, and redaction runs
 * without names.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  AssistantStore,
  ConversationStore,
  type NewMessage,
  SecretBox,
} from "../../../assistants/index.ts";
import { readLocalAdminKey } from "../../../auth/index.ts";
import { openDb } from "../../../store/index.ts";
import { checkContract, recording } from "../../__fixtures__/openai-client.ts";
import { type RunningServer, startServer } from "../../index.ts";

const home = mkdtempSync(join(tmpdir(), "tailor-conversations-api-"));
let server: RunningServer;
const keys = { admin: "", alice: "", aliceViewer: "", bob: "" };
let shop = ""; // alice's assistant
let bobs = ""; // bob's assistant
let privateConv = ""; // a conversation with an e-mail and a phone number
let ratedConv = ""; // a conversation whose first answer was rated down
let wrongAnswer = "";
let bobConv = "";

async function api(method: string, path: string, key: string, body?: unknown) {
  // the export is JSONL: the recording fetch keeps JSON bodies only
  const get = path.includes("/export") ? fetch : recording;
  const res = await get(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const isJson = /^application\/json(;|$)/.test(res.headers.get("content-type") ?? "");
  return {
    status: res.status,
    headers: res.headers,
    text,
    // biome-ignore lint/suspicious/noExplicitAny: the test reads fields of several bodies
    body: (isJson ? JSON.parse(text) : null) as any,
  };
}

const msg = (role: "user" | "assistant", content: string): NewMessage => ({
  role,
  content,
  version: role === "assistant" ? 1 : null,
  sources: [],
  function_calls: [],
  finish_reason: role === "assistant" ? "stop" : null,
});

describe("an assistant's conversations through the API", () => {
  before(async () => {
    server = await startServer({ home, port: 0, worker: false, studioDir: null });
    keys.admin = readLocalAdminKey(home) ?? "";
    const key = async (name: string, role: string, owner: string) =>
      (await api("POST", "/v1/keys", keys.admin, { name, role, owner })).body.key as string;
    keys.alice = await key("alice", "member", "alice");
    keys.aliceViewer = await key("alice-viewer", "viewer", "alice");
    keys.bob = await key("bob", "member", "bob");

    // the server's own handle is inside it: a second one on the same WAL database, as the CLI has
    const db = openDb(home);
    const assistants = new AssistantStore(db, new SecretBox(home));
    shop = assistants.create("alice", "key_alice", {
      name: "Shop helper",
      model: "tiny",
      instructions: "You answer the shop's customers.",
    }).id;
    bobs = assistants.create("bob", "key_bob", { name: "Bob's bot", model: "tiny" }).id;
    const conversations = new ConversationStore(db);
    const talk = (assistant: string, turns: [string, string][]) => {
      const c = conversations.start(assistant, "share", "visitor", 30);
      const answers = turns.map(([q, a]) => {
        conversations.append(c.id, msg("user", q), 30);
        return conversations.append(c.id, msg("assistant", a), 30).id;
      });
      return { id: c.id, answers };
    };
    const rated = talk(shop, [["Do you ship abroad?", "Never."]]);
    conversations.feedback(rated.id, rated.answers[0] as string, { rating: "down" });
    ratedConv = rated.id;
    wrongAnswer = rated.answers[0] as string;
    privateConv = talk(shop, [
      ["I am ana@example.com, call +1 415 555 2671", "I will call you at +1 415 555 2671."],
    ]).id;
    bobConv = talk(bobs, [["Hi", "Hello"]]).id;
    db.close();
  });
  after(async () => server?.close());

  test("the owner lists and reads; another member finds no such assistant; an admin sees all", async () => {
    const list = await api("GET", `/v1/assistants/${shop}/conversations`, keys.alice);
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.data.map((c: { id: string }) => c.id),
      [privateConv, ratedConv],
    );
    assert.deepEqual(list.body.data[1].feedback, { up: 0, down: 1, wrong: 0 });
    assert.equal(list.body.data[1].title, "Do you ship abroad?");
    const page = await api("GET", `/v1/assistants/${shop}/conversations?limit=1`, keys.alice);
    assert.equal(page.body.has_more, true);
    const next = await api(
      "GET",
      `/v1/assistants/${shop}/conversations?limit=1&after=${page.body.last_id}`,
      keys.alice,
    );
    assert.deepEqual(
      next.body.data.map((c: { id: string }) => c.id),
      [ratedConv],
    );
    assert.equal(next.body.has_more, false);

    const one = await api("GET", `/v1/assistants/${shop}/conversations/${ratedConv}`, keys.alice);
    assert.equal(one.status, 200);
    assert.deepEqual(
      one.body.messages.map((m: { role: string; content: string }) => [m.role, m.content]),
      [
        ["user", "Do you ship abroad?"],
        ["assistant", "Never."],
      ],
    );
    assert.equal(one.body.messages[1].feedback.rating, "down");

    // bob: alice's assistant does not exist for him, whatever he asks
    for (const [method, path] of [
      ["GET", `/v1/assistants/${shop}/conversations`],
      ["GET", `/v1/assistants/${shop}/conversations/${ratedConv}`],
      ["GET", `/v1/assistants/${shop}/conversations/export`],
      ["DELETE", `/v1/assistants/${shop}/conversations/${ratedConv}`],
      ["POST", `/v1/assistants/${shop}/conversations/${ratedConv}/redact`],
      ["POST", `/v1/assistants/${shop}/conversations/redact`],
    ] as const) {
      const r = await api(method, path, keys.bob, method === "POST" ? {} : undefined);
      assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
      assert.match(r.body.error.message, /no assistant/);
    }
    // nor does a conversation of another assistant under alice's
    const cross = await api("GET", `/v1/assistants/${shop}/conversations/${bobConv}`, keys.alice);
    assert.equal(cross.status, 404);
    assert.equal(
      (await api("GET", `/v1/assistants/${bobs}/conversations`, keys.admin)).body.data[0].id,
      bobConv,
    );
  });

  test("a viewer reads and exports; changes need a member", async () => {
    const v = keys.aliceViewer;
    assert.equal((await api("GET", `/v1/assistants/${shop}/conversations`, v)).status, 200);
    assert.equal((await api("GET", `/v1/assistants/${shop}/conversations/export`, v)).status, 200);
    const del = await api("DELETE", `/v1/assistants/${shop}/conversations/${ratedConv}`, v);
    assert.equal(del.status, 403);
    assert.match(del.body.error.message, /viewer key may not delete conversations/);
    const red = await api("POST", `/v1/assistants/${shop}/conversations/redact`, v, {});
    assert.equal(red.status, 403);
  });

  test("export: good cuts rejected answers unless corrected, all keeps them; a JSONL download", async () => {
    const path = `/v1/assistants/${shop}/conversations/export`;
    const good = await api("GET", path, keys.alice);
    assert.equal(good.status, 200);
    assert.match(good.headers.get("content-type") ?? "", /^application\/jsonl/);
    assert.equal(
      good.headers.get("content-disposition"),
      `attachment; filename="${shop}-conversations-good.jsonl"`,
    );
    const lines = (t: string) =>
      t
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    assert.equal(lines(good.text).length, 1); // the rated-down conversation has nothing left
    assert.deepEqual(lines(good.text)[0].messages[0], {
      role: "system",
      content: "You answer the shop's customers.",
    });
    assert.equal(good.headers.get("x-tailor-skipped"), "1");
    assert.equal(lines((await api("GET", `${path}?filter=all`, keys.alice)).text).length, 2);
    const bad = await api("GET", `${path}?filter=best`, keys.alice);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /filter: "best" is not one of good, all/);

    // the owner corrects the rejected answer: good now keeps it, as corrected
    const fb = await api(
      "POST",
      `/v1/assistants/${shop}/conversations/${ratedConv}/messages/${wrongAnswer}/feedback`,
      keys.alice,
      { correction: "Yes, to all of Europe, in 5 days." },
    );
    assert.equal(fb.status, 200, fb.text);
    assert.equal(fb.body.feedback.rating, "down");
    const corrected = lines((await api("GET", path, keys.alice)).text);
    assert.equal(corrected.length, 2);
    assert.deepEqual(corrected[0].messages.at(-1), {
      role: "assistant",
      content: "Yes, to all of Europe, in 5 days.",
    });
  });

  test("redaction replaces the e-mail and phone number; delete removes the conversation", async () => {
    const r = await api(
      "POST",
      `/v1/assistants/${shop}/conversations/${privateConv}/redact`,
      keys.alice,
      { names: false },
    );
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, {
      object: "tailor.conversation_redaction",
      conversations: 1,
      changed: 1,
      replaced: { EMAIL: 1, PHONE: 2 },
    });
    const got = await api("GET", `/v1/assistants/${shop}/conversations/${privateConv}`, keys.alice);
    assert.equal(got.body.redacted, true);
    assert.equal(got.body.messages[0].content, "I am [EMAIL], call [PHONE]");
    assert.equal(got.body.messages[1].content, "I will call you at [PHONE].");
    const all = await api("POST", `/v1/assistants/${shop}/conversations/redact`, keys.alice, {
      names: false,
    });
    assert.deepEqual([all.body.conversations, all.body.changed], [2, 0]);

    const del = await api(
      "DELETE",
      `/v1/assistants/${shop}/conversations/${privateConv}`,
      keys.alice,
    );
    assert.deepEqual(del.body, { id: privateConv, object: "conversation.deleted", deleted: true });
    const gone = await api(
      "GET",
      `/v1/assistants/${shop}/conversations/${privateConv}`,
      keys.alice,
    );
    assert.equal(gone.status, 404);
  });

  test("every JSON response matches the OpenAPI document", async () => {
    assert.ok((await checkContract(server.url)) >= 15);
  });
});
