import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { type StoreBackend, storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { insertAssistant } from "./__fixtures__/conversations.ts";
import { ConversationStore, type NewMessage } from "./conversations.ts";

const DAY = 86_400;

function setupOn(backend: StoreBackend) {
  const db = backend.open(mkdtempSync(join(tmpdir(), "tailor-conv-"))).db;
  let clock = 1_700_000_000;
  const store = new ConversationStore(db, { now: () => clock });
  insertAssistant(db, "asst_a", "alice");
  insertAssistant(db, "asst_b", "bob");
  return {
    db,
    store,
    tick: (s: number) => {
      clock += s;
    },
    now: () => clock,
  };
}

const user = (content: string): NewMessage => ({
  role: "user",
  content,
  version: null,
  sources: [],
  function_calls: [],
  finish_reason: null,
});
const answer = (content: string, version = 1): NewMessage => ({
  role: "assistant",
  content,
  version,
  sources: [],
  function_calls: [
    {
      call_id: "call_1",
      name: "lookup",
      arguments: '{"order":"A12"}',
      kind: "http",
      status: "ok",
      http_status: 200,
      duration_ms: 12,
      output: '{"status":"shipped"}',
    },
  ],
  finish_reason: "stop",
});

for (const backend of storeBackends())
  describe(`ConversationStore on ${backend.name}`, () => {
    const setup = () => setupOn(backend);

    test("append keeps messages in order, titles the conversation, pushes its expiry", () => {
      const { store, tick, now } = setup();
      const c = store.start("asst_a", "share", "visitor-1", 30);
      assert.match(c.id, /^conv_[A-Za-z0-9]{24}$/);
      assert.equal(c.expires_at, now() + 30 * DAY);
      assert.equal(c.message_count, 0);
      tick(100);
      const q = store.append(c.id, user(`  Where is   my order?\n${"x".repeat(300)}`), 7);
      assert.match(q.id, /^msg_[A-Za-z0-9]{24}$/);
      const a = store.append(c.id, answer("It shipped yesterday."), 7);
      store.append(c.id, user("Thanks!"), 7);

      const got = store.get(c.id);
      assert.deepEqual(
        got.messages.map((m) => [m.role, m.content.slice(0, 20)]),
        [
          ["user", "  Where is   my orde"],
          ["assistant", "It shipped yesterday"],
          ["user", "Thanks!"],
        ],
      );
      assert.equal(got.title.length, 200);
      assert.ok(got.title.startsWith("Where is my order? xxx"), got.title);
      assert.equal(got.message_count, 3);
      assert.equal(got.updated_at, now());
      assert.equal(got.expires_at, now() + 7 * DAY);
      const stored = got.messages[1];
      assert.equal(stored?.id, a.id);
      assert.equal(stored?.version, 1);
      assert.equal(stored?.function_calls[0]?.output, '{"status":"shipped"}');
      assert.equal(stored?.feedback, null);

      assert.deepEqual(store.history(c.id), [
        { role: "user", content: `  Where is   my order?\n${"x".repeat(300)}` },
        { role: "assistant", content: "It shipped yesterday." },
        { role: "user", content: "Thanks!" },
      ]);
      assert.equal(store.find("conv_nope"), null);
      assert.throws(() => store.get("conv_nope"), { code: "not_found" });
      assert.throws(() => store.append("conv_nope", user("hi"), 30), { code: "not_found" });
      assert.throws(() => store.start("asst_nope", "api", "key_1", 30), { code: "not_found" });
    });

    test("list: newest first, paged with after, feedback counted, other assistants apart", () => {
      const { store, tick } = setup();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const c = store.start("asst_a", "share", `v${i}`, 30);
        store.append(c.id, user(`question ${i}`), 30);
        ids.push(c.id);
        tick(10);
      }
      store.start("asst_b", "api", "key_b", 30);
      // the oldest gets a new message: it becomes the newest
      const first = ids[0] as string;
      const a = store.append(first, answer("an answer"), 30);
      const b = store.append(first, answer("another answer"), 30);
      store.feedback(first, a.id, { rating: "down", wrong: true });
      store.feedback(first, b.id, { rating: "up" });

      const page1 = store.page("asst_a", { limit: 2 });
      assert.deepEqual(
        page1.data.map((c) => c.title),
        ["question 0", "question 4"],
      );
      assert.equal(page1.has_more, true);
      assert.deepEqual(page1.data[0]?.feedback, { up: 1, down: 1, wrong: 1 });
      assert.equal(page1.data[0]?.message_count, 3);
      assert.deepEqual(page1.data[1]?.feedback, { up: 0, down: 0, wrong: 0 });
      assert.ok(!("rowid" in (page1.data[0] ?? {})), "Postgres' rowid stays inside");
      const page2 = store.page("asst_a", { limit: 2, after: page1.data[1]?.id as string });
      assert.deepEqual(
        page2.data.map((c) => c.title),
        ["question 3", "question 2"],
      );
      const page3 = store.page("asst_a", { limit: 2, after: page2.data[1]?.id as string });
      assert.deepEqual(
        page3.data.map((c) => c.title),
        ["question 1"],
      );
      assert.equal(page3.has_more, false);
      assert.equal(store.list("asst_a").length, 5);
      assert.equal(store.list("asst_b").length, 1);
      assert.throws(() => store.list("asst_a", { limit: 101 }), { code: "invalid_argument" });
      assert.throws(() => store.list("asst_b", { after: first }), { code: "invalid_argument" });
    });

    test("feedback only on an answer; merged field by field; at is now", () => {
      const { store, tick, now } = setup();
      const c = store.start("asst_a", "share", "v", 30);
      const q = store.append(c.id, user("hi"), 30);
      const a = store.append(c.id, answer("hello"), 30);
      assert.throws(() => store.feedback(c.id, q.id, { rating: "up" }), {
        code: "invalid_argument",
        message: /question; feedback goes on an answer/,
      });
      assert.throws(() => store.feedback(c.id, "msg_nope", { rating: "up" }), {
        code: "not_found",
      });
      const other = store.start("asst_a", "share", "w", 30);
      assert.throws(() => store.feedback(other.id, a.id, { rating: "up" }), { code: "not_found" });
      assert.throws(
        // @ts-expect-error: a rating that does not exist, as a malformed request would send
        () => store.feedback(c.id, a.id, { rating: "meh" }),
        { code: "invalid_argument" },
      );

      store.feedback(c.id, a.id, { rating: "down", comment: "too short" });
      tick(5);
      const m = store.feedback(c.id, a.id, { wrong: true, correction: "Hello! How can I help?" });
      assert.deepEqual(m.feedback, {
        rating: "down",
        wrong: true,
        comment: "too short",
        correction: "Hello! How can I help?",
        at: now(),
      });
      const cleared = store.feedback(c.id, a.id, { rating: null, comment: "" });
      assert.equal(cleared.feedback?.rating, null);
      assert.equal(cleared.feedback?.comment, null);
      assert.equal(cleared.feedback?.wrong, true);
      assert.deepEqual(store.get(c.id).messages[1]?.feedback, cleared.feedback);
    });

    test("sweep deletes expired conversations with their messages and keeps fresh ones", () => {
      const { db, store, tick, now } = setup();
      const old = store.start("asst_a", "share", "v1", 1);
      store.append(old.id, user("old question"), 1);
      tick(DAY - 10);
      const fresh = store.start("asst_a", "share", "v2", 1);
      store.append(fresh.id, user("new question"), 1);
      assert.equal(store.sweep(now()), 0);
      tick(20); // the old one is now a day and 10 seconds past its last message
      assert.equal(store.sweep(now()), 1);
      assert.equal(store.find(old.id), null);
      assert.ok(store.find(fresh.id));
      const orphans = db
        .prepare("SELECT COUNT(*) AS n FROM conversation_messages WHERE conversation_id = ?")
        .get(old.id) as { n: number };
      assert.equal(orphans.n, 0);
      // a shorter retention set by the owner applies to what is stored
      tick(100);
      assert.equal(store.setRetention("asst_a", 1), 1);
      assert.equal(store.get(fresh.id).expires_at, store.get(fresh.id).updated_at + DAY);

      store.delete(fresh.id);
      assert.equal(store.find(fresh.id), null);
      assert.throws(() => store.delete(fresh.id), { code: "not_found" });
    });
  });
