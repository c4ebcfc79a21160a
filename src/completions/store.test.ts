import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { type StoreBackend, storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { startCompletionSweep } from "./retention.ts";
import { CompletionStore, type NewCompletion } from "./store.ts";

const DAY = 86_400;
const T0 = 1_700_000_000;

function setupOn(backend: StoreBackend) {
  const db = backend.open(mkdtempSync(join(tmpdir(), "tailor-completions-"))).db;
  let clock = T0;
  const store = new CompletionStore(db, { now: () => clock });
  const tick = (s: number) => {
    clock += s;
  };
  return { db, store, tick, now: () => clock };
}

let n = 0;
const completion = (over: Partial<NewCompletion> = {}): NewCompletion => ({
  id: `chatcmpl-${String(++n).padStart(4, "0")}`,
  created: T0,
  model: "support",
  resolved_model: "ft:tiny:support:v1",
  owner: "alice",
  keyId: "key_a",
  messages: [
    { role: "system", content: "Answer in one sentence." },
    { role: "user", content: "When does the shop open?" },
  ],
  answer: "At nine.",
  finish_reason: "stop",
  metadata: {},
  retentionDays: 30,
  ...over,
});

for (const backend of storeBackends())
  describe(`CompletionStore on ${backend.name}`, () => {
    const setup = () => setupOn(backend);

    test("save keeps the conversation, the answer and metadata, expiring after the retention", () => {
      const { store } = setup();
      const saved = store.save(completion({ metadata: { user: "u1" }, retentionDays: 7 }));
      assert.equal(saved.expires_at, T0 + 7 * DAY);
      assert.equal(saved.feedback, null);
      const got = store.find(saved.id);
      assert.deepEqual(got, saved);
      assert.equal(got?.messages[1]?.content, "When does the shop open?");
      assert.deepEqual(got?.metadata, { user: "u1" });
      assert.equal(store.find("chatcmpl-nope"), null);
      assert.throws(() => store.get("chatcmpl-nope"), { code: "not_found" });
    });

    test("save refuses a retention outside 1-3650 days and a bad message, naming the field", () => {
      const { store } = setup();
      assert.throws(() => store.save(completion({ retentionDays: 0 })), {
        code: "invalid_argument",
        message: /retention_days: 0/,
      });
      const bad = completion();
      // a message as an old build might hand it over: no content
      (bad.messages as unknown[])[1] = { role: "user" };
      assert.throws(() => store.save(bad), {
        code: "invalid_argument",
        message: /^messages\.1\.content/,
      });
    });

    test("list: newest first, paged with after, by owner, model (asked or answering) and metadata", () => {
      const { store } = setup();
      const a1 = store.save(completion({ created: T0, metadata: { team: "red" } }));
      const a2 = store.save(completion({ created: T0 + 1, model: "tiny", resolved_model: "tiny" }));
      const a3 = store.save(completion({ created: T0 + 1, metadata: { team: "red", k: "v" } }));
      const b1 = store.save(completion({ created: T0 + 2, owner: "bob" }));
      const ids = (r: { data: { id: string }[] }) => r.data.map((c) => c.id);

      assert.deepEqual(ids(store.list("alice")), [a3.id, a2.id, a1.id]);
      assert.deepEqual(ids(store.list(undefined)), [b1.id, a3.id, a2.id, a1.id]);
      const page1 = store.list("alice", { limit: 2 });
      assert.deepEqual(ids(page1), [a3.id, a2.id]);
      assert.equal(page1.has_more, true);
      const page2 = store.list("alice", { limit: 2, after: a2.id });
      assert.deepEqual(ids(page2), [a1.id]);
      assert.equal(page2.has_more, false);
      assert.deepEqual(ids(store.list("alice", { order: "asc" })), [a1.id, a2.id, a3.id]);
      assert.deepEqual(ids(store.list("alice", { order: "asc", after: a1.id })), [a2.id, a3.id]);

      assert.deepEqual(ids(store.list("alice", { model: "tiny" })), [a2.id]);
      assert.deepEqual(ids(store.list("alice", { model: "ft:tiny:support:v1" })), [a3.id, a1.id]);
      assert.deepEqual(ids(store.list("alice", { metadata: { team: "red" } })), [a3.id, a1.id]);
      assert.deepEqual(ids(store.list("alice", { metadata: { team: "red", k: "v" } })), [a3.id]);
      assert.deepEqual(ids(store.list("alice", { metadata: { team: "blue" } })), []);

      // made in the same second: the order they were saved in, whatever their ids
      const c1 = store.save(completion({ id: "chatcmpl-zz", created: T0 + 5, owner: "carol" }));
      const c2 = store.save(completion({ id: "chatcmpl-aa", created: T0 + 5, owner: "carol" }));
      assert.deepEqual(ids(store.list("carol")), [c2.id, c1.id]);
      assert.deepEqual(ids(store.list("carol", { limit: 1, after: c2.id })), [c1.id]);
      assert.deepEqual(ids(store.list("carol", { order: "asc", after: c1.id })), [c2.id]);

      // another owner's id is no cursor of yours; limits outside 1-100 are refused
      assert.throws(() => store.list("alice", { after: b1.id }), { message: /^after: / });
      assert.throws(() => store.list("alice", { limit: 101 }), { message: /^limit: 101/ });
    });

    test("feedback merges field by field, empty texts clear, at is now; unknown ids are not_found", () => {
      const { store, tick, now } = setup();
      const c = store.save(completion());
      const first = store.feedback(c.id, { rating: "down", comment: "too short" });
      assert.deepEqual(first.feedback, {
        rating: "down",
        wrong: false,
        comment: "too short",
        correction: null,
        at: now(),
      });
      tick(60);
      const second = store.feedback(c.id, { wrong: true, correction: "From nine to five." });
      assert.deepEqual(second.feedback, {
        rating: "down",
        wrong: true,
        comment: "too short",
        correction: "From nine to five.",
        at: now(),
      });
      const third = store.feedback(c.id, { rating: null, comment: " " });
      assert.equal(third.feedback?.rating, null);
      assert.equal(third.feedback?.comment, null);
      assert.equal(third.feedback?.correction, "From nine to five.");
      assert.deepEqual(store.find(c.id)?.feedback, third.feedback);
      assert.throws(() => store.feedback("chatcmpl-nope", { rating: "up" }), { code: "not_found" });
      assert.throws(() => store.feedback(c.id, { rating: "meh" as "up" }), {
        code: "invalid_argument",
        message: /^rating: /,
      });
    });

    test("delete and sweep: expired completions go, others stay; the server's sweep runs at once", () => {
      const { store, tick, now } = setup();
      const short = store.save(completion({ retentionDays: 1 }));
      const long = store.save(completion({ retentionDays: 30 }));
      const gone = store.save(completion());
      assert.equal(store.delete(gone.id), true);
      assert.equal(store.delete(gone.id), false);
      tick(DAY - 1);
      assert.equal(store.sweep(), 0);
      tick(1);
      assert.equal(store.sweep(now()), 1);
      assert.equal(store.find(short.id), null);
      assert.ok(store.find(long.id));

      const lines: string[] = [];
      tick(30 * DAY);
      const sweep = startCompletionSweep(store, { log: (l) => lines.push(l) });
      sweep.stop();
      assert.equal(store.find(long.id), null);
      assert.deepEqual(lines, ["retention: deleted 1 expired stored completion"]);
    });
  });
