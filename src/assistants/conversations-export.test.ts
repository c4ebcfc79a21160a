import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { checkData, loadExamples } from "../datasets/index.ts";
import { type StoreBackend, storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { ConversationStore, type NewMessage } from "./conversations.ts";
import { exportConversations, versionInstructions } from "./conversations-export.ts";
import { SecretBox } from "./secrets.ts";
import { AssistantStore } from "./store.ts";

const msg = (role: "user" | "assistant", content: string, version: number | null = null) =>
  ({
    role,
    content,
    version: role === "assistant" ? (version ?? 1) : null,
    sources: [],
    function_calls: [],
    finish_reason: role === "assistant" ? "stop" : null,
  }) satisfies NewMessage;

function setupOn(backend: StoreBackend) {
  const dir = mkdtempSync(join(tmpdir(), "tailor-conv-export-"));
  const db = backend.open(dir).db;
  // the real assistants' store: version 1, then an update makes version 2 with new instructions
  const assistants = new AssistantStore(db, new SecretBox(dir));
  const shop = assistants.create("alice", "key_alice", {
    name: "Shop",
    model: "tiny",
    instructions: "You are the shop's support assistant.",
  }).id;
  assistants.update(shop, "key_alice", { instructions: "Answer in one sentence." });
  const store = new ConversationStore(db);
  const instructions = versionInstructions(assistants);
  const talk = (turns: [string, string][], version = 1) => {
    const c = store.start(shop, "share", "v", 30);
    const answers = turns.map(([q, a]) => {
      store.append(c.id, msg("user", q), 30);
      return store.append(c.id, msg("assistant", a, version), 30);
    });
    return { id: c.id, answers };
  };
  return { dir, store, instructions, talk, shop };
}

const lines = (jsonl: string) =>
  jsonl
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { messages: { role: string; content: string }[] });

for (const backend of storeBackends())
  describe(`exporting conversations on ${backend.name}`, () => {
    const setup = () => setupOn(backend);

    test("good keeps turns up to the first rejected answer, corrections replace answers", () => {
      const { store, instructions, talk, shop } = setup();
      const a = talk([
        ["Do you ship to Norway?", "Yes, in 5 days."],
        ["How much?", "It is free."],
        ["Really?", "Yes."],
      ]);
      // the second answer was wrong but corrected: kept as corrected; the third rated down: cut
      store.feedback(a.id, a.answers[1]?.id as string, {
        wrong: true,
        correction: "Shipping to Norway costs 9 euros.",
      });
      store.feedback(a.id, a.answers[2]?.id as string, { rating: "down" });
      const b = talk([["Hi", "Hello! How can I help?"]], 2);
      store.feedback(b.id, b.answers[0]?.id as string, { rating: "up" });
      const c = talk([["Where is my order?", "On the moon."]]);
      store.feedback(c.id, c.answers[0]?.id as string, { rating: "down" }); // nothing left: skipped
      const open = store.start(shop, "share", "v", 30);
      store.append(open.id, msg("user", "Anyone there?"), 30); // never answered: skipped

      const good = exportConversations(store, shop, { instructions });
      assert.equal(good.conversations, 2);
      assert.equal(good.skipped, 2);
      assert.deepEqual(lines(good.jsonl), [
        {
          messages: [
            { role: "system", content: "You are the shop's support assistant." },
            { role: "user", content: "Do you ship to Norway?" },
            { role: "assistant", content: "Yes, in 5 days." },
            { role: "user", content: "How much?" },
            { role: "assistant", content: "Shipping to Norway costs 9 euros." },
          ],
        },
        {
          messages: [
            { role: "system", content: "Answer in one sentence." },
            { role: "user", content: "Hi" },
            { role: "assistant", content: "Hello! How can I help?" },
          ],
        },
      ]);

      const all = exportConversations(store, shop, { filter: "all", instructions });
      assert.equal(all.conversations, 3);
      const [first, , third] = lines(all.jsonl);
      assert.equal(first?.messages.length, 7);
      assert.equal(first?.messages[4]?.content, "It is free."); // as the model said it
      assert.equal(third?.messages[2]?.content, "On the moon.");
    });

    test("the export loads as a Tailor dataset and passes its data check without errors", async () => {
      const { dir, store, instructions, talk, shop } = setup();
      const topics = ["returns", "shipping", "sizes", "payment", "gift cards", "opening hours"];
      for (const [i, topic] of topics.entries()) {
        talk([
          [
            `How do ${topic} work at your shop? (${i})`,
            `Here is how ${topic} work: ask us anytime.`,
          ],
          [
            `And for ${topic} abroad?`,
            `For ${topic} abroad, the same rules apply, in ${i + 2} days.`,
          ],
        ]);
        talk([[`Can I talk to someone about ${topic}?`, `Yes, write to us about ${topic}.`]]);
      }
      const { jsonl, conversations } = exportConversations(store, shop, { instructions });
      assert.equal(conversations, 12);
      const file = join(dir, "conversations.jsonl");
      writeFileSync(file, jsonl);

      const examples = await loadExamples(file);
      assert.equal(examples.length, 12);
      assert.equal(examples[0]?.messages[0]?.role, "system");
      const report = await checkData(file);
      assert.deepEqual(report.errors, []);
      assert.equal(report.ok, true);
      assert.equal(report.examples, 12);
    });
  });
