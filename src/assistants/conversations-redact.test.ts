import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { NameFinder } from "../safety/index.ts";
import { type StoreBackend, storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { insertAssistant } from "./__fixtures__/conversations.ts";
import { ConversationStore, type NewMessage } from "./conversations.ts";
import { redactAssistantConversations, redactConversation } from "./conversations-redact.ts";

const msg = (role: "user" | "assistant", content: string): NewMessage => ({
  role,
  content,
  version: role === "assistant" ? 1 : null,
  sources: [],
  function_calls: [],
  finish_reason: role === "assistant" ? "stop" : null,
});

function setupOn(backend: StoreBackend) {
  const db = backend.open(mkdtempSync(join(tmpdir(), "tailor-conv-redact-"))).db;
  insertAssistant(db, "asst_a", "alice");
  insertAssistant(db, "asst_b", "bob");
  return new ConversationStore(db);
}

for (const backend of storeBackends())
  describe(`redacting conversations on ${backend.name}`, () => {
    const setup = () => setupOn(backend);

    test("an e-mail and a phone number become placeholders everywhere in the conversation", async () => {
      const store = setup();
      const c = store.start("asst_a", "share", "v", 30);
      store.append(
        c.id,
        msg("user", "I am ana.lopez@example.com, call me on +1 415 555 2671 about order 12."),
        30,
      );
      const a = store.append(
        c.id,
        {
          ...msg("assistant", "Thanks, I will write to ana.lopez@example.com."),
          function_calls: [
            {
              call_id: "call_1",
              name: "find_customer",
              arguments: '{"email":"ana.lopez@example.com"}',
              kind: "http",
              status: "ok",
              http_status: 200,
              duration_ms: 5,
              output: '{"phone":"(415) 555-2671"}',
            },
          ],
        },
        30,
      );
      store.feedback(c.id, a.id, { comment: "reach me at ana.lopez@example.com instead" });
      const untouched = store.start("asst_a", "share", "w", 30);
      store.append(untouched.id, msg("user", "What are your opening hours?"), 30);

      const r = await redactConversation(store, c.id, { names: null });
      assert.deepEqual(r.replaced, { EMAIL: 4, PHONE: 2 });
      assert.equal(r.changed, 1);

      const got = store.get(c.id);
      assert.equal(got.redacted, true);
      assert.equal(got.messages[0]?.content, "I am [EMAIL], call me on [PHONE] about order 12.");
      assert.equal(got.title, "I am [EMAIL], call me on [PHONE] about order 12.");
      assert.equal(got.messages[1]?.content, "Thanks, I will write to [EMAIL].");
      assert.equal(got.messages[1]?.function_calls[0]?.arguments, '{"email":"[EMAIL]"}');
      assert.equal(got.messages[1]?.function_calls[0]?.output, '{"phone":"[PHONE]"}');
      assert.equal(got.messages[1]?.feedback?.comment, "reach me at [EMAIL] instead");
      assert.equal(got.messages[1]?.feedback?.correction, null);
      assert.equal(JSON.stringify(got).includes("555"), false);
      assert.equal(store.get(untouched.id).redacted, false);
    });

    test("all of an assistant's conversations, names through the NameFinder; others' untouched", async () => {
      const store = setup();
      const texts = ["My name is Maria Silva.", "Mail bob@example.org", "No personal data here."];
      for (const t of texts) {
        const c = store.start("asst_a", "share", "v", 30);
        store.append(c.id, msg("user", t), 30);
      }
      const other = store.start("asst_b", "share", "v", 30);
      store.append(other.id, msg("user", "Mail bob@example.org"), 30);
      // a stand-in for the engine's NER: finds "Maria Silva"
      const names: NameFinder = {
        findNames: async (batch) =>
          batch.map((t) => {
            const at = t.indexOf("Maria Silva");
            return at < 0 ? [] : [{ kind: "PERSON" as const, start: at, end: at + 11 }];
          }),
      };
      const r = await redactAssistantConversations(store, "asst_a", { names });
      assert.deepEqual(r, { conversations: 3, changed: 2, replaced: { PERSON: 1, EMAIL: 1 } });
      assert.deepEqual(
        store
          .list("asst_a")
          .map((c) => c.title)
          .sort(),
        ["Mail [EMAIL]", "My name is [PERSON].", "No personal data here."],
      );
      assert.ok(store.list("asst_a").every((c) => c.redacted));
      assert.equal(store.list("asst_b")[0]?.title, "Mail bob@example.org");
      assert.equal(store.list("asst_b")[0]?.redacted, false);
    });
  });
