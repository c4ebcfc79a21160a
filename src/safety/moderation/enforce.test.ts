/**
 * Enforcement without an engine: the policies a request is under (real SQLite stores), the input
 * and a complete answer checked, and a stream checked as scripted pieces arrive, with a stand-in
 * moderation model that scores a text by the words in it.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  type CategoryScores,
  MODERATION_CATEGORIES,
  type ModerationResult,
  PolicyInput,
} from "../../../protocol/moderation.ts";
import type { GenerateEvent } from "../../serving/index.ts";
import { type Db, openDb } from "../../store/index.ts";
import { moderationFor } from "./enforce.ts";
import { type GuardedEvent, StreamGuard } from "./enforce-stream.ts";
import { FlagStore } from "./flags.ts";
import { PolicyStore } from "./policy-store.ts";
import type { Moderator } from "./port.ts";

/** Scores "violence" 0.9 for a text with "fight" in it, 0.01 otherwise; counts texts scored. */
class WordModerator implements Moderator {
  readonly model = "stand-in";
  scored: string[] = [];
  async moderate(texts: string[]): Promise<ModerationResult[]> {
    this.scored.push(...texts);
    return texts.map((t) => {
      const s = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, 0.01])) as CategoryScores;
      if (/fight/i.test(t)) s.violence = 0.9;
      const flags = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, s[c] >= 0.5]));
      return {
        flagged: s.violence >= 0.5,
        categories: flags,
        category_scores: s,
      } as ModerationResult;
    });
  }
}

let db: Db;
let policies: PolicyStore;
let flags: FlagStore;
const moderator = new WordModerator();
const request = (model = "m", keyId: string | null = "key_1") => ({
  model,
  keyId,
  owner: "alice",
  requestId: `chatcmpl-${Math.random()}`,
});
const deps = () => ({ policies, flags, moderator });

/** Scripted engine pieces: the words of `text` as deltas (space first, as tokenizers do), then the result. */
async function* pieces(text: string): AsyncGenerator<GenerateEvent> {
  const parts = text.match(/\s*\S+/g) ?? [];
  for (const p of parts) yield { type: "delta", index: 0, text: p };
  yield {
    type: "result",
    choices: [{ index: 0, text, finish_reason: "stop" }],
    prompt_tokens: 3,
    completion_tokens: parts.length,
  };
}

async function collect(events: AsyncIterable<GuardedEvent>) {
  let text = "";
  let filtered: string | null = null;
  let result: Extract<GuardedEvent, { type: "result" }> | null = null;
  for await (const ev of events) {
    if (ev.type === "delta") text += ev.text;
    if (ev.type === "filtered") filtered = ev.refusal;
    if (ev.type === "result") result = ev;
  }
  return { text, filtered, result };
}

const store = (fields: Record<string, unknown>, attached = {}) =>
  policies.create(PolicyInput.parse(fields), attached);

describe("moderation enforcement", () => {
  before(() => {
    db = openDb(mkdtempSync(join(tmpdir(), "tailor-enforce-")));
    policies = new PolicyStore(db);
    flags = new FlagStore(db);
  });
  after(() => db.close());

  test("every policy applies: the model's, the key's and the request's; the first blocker's refusal", async () => {
    store(
      { name: "model-pol", input: { blocked_terms: ["alpha"] }, refusal: "model says no" },
      { models: ["m"] },
    );
    store(
      { name: "key-pol", input: { blocked_terms: ["beta"] }, refusal: "key says no" },
      { keys: ["key_1"] },
    );
    const mod = moderationFor(deps(), request(), {
      ...PolicyInput.parse({ name: "mine", input: { blocked_terms: ["beta", "gamma"] } }),
    });
    assert.ok(mod);
    assert.deepEqual(
      mod.policies.map((p) => p.name),
      ["model-pol", "key-pol", "mine"],
    );
    const ask = (content: string) => mod.checkInput([{ role: "user", content }]);
    assert.equal((await ask("say alpha")).refusal, "model says no");
    // the request's own policy cannot take the key's away: the key's refusal comes first
    assert.equal((await ask("say beta")).refusal, "key says no");
    assert.equal((await ask("say gamma")).refusal, "Sorry, I can't help with that.");
    assert.equal((await ask("say delta")).refusal, null);
    // another key and model: only the request's policy
    const other = moderationFor(deps(), request("n", "key_2"), "key-pol");
    assert.deepEqual(
      other?.policies.map((p) => p.name),
      ["key-pol"],
    );
    assert.equal(moderationFor(deps(), request("n", "key_2")), null);
    assert.throws(
      () => moderationFor(deps(), request("n", null), "nope"),
      /no moderation policy "nope"/,
    );
    for (const p of policies.list()) policies.delete(p.id);
  });

  test("input: every user message checked and redacted, with shared placeholders; flags logged", async () => {
    const mod = moderationFor(
      deps(),
      request(),
      PolicyInput.parse({
        name: "pii",
        input: { personal_data: "redact" },
      }),
    );
    assert.ok(mod);
    const out = await mod.checkInput([
      { role: "system", content: "Support desk: help@shop.example" },
      { role: "user", content: "I am ana@example.com" },
      { role: "assistant", content: "Hello" },
      { role: "user", content: "again, ana@example.com and bo@example.org" },
    ]);
    assert.equal(out.refusal, null);
    assert.deepEqual(
      out.messages.map((m) => m.content),
      ["Support desk: help@shop.example", "I am [EMAIL]", "Hello", "again, [EMAIL] and [EMAIL_2]"],
    );
    const logged = flags.list({ policyName: "pii", limit: 10 }).flags;
    assert.equal(logged.length, 2);
    assert.equal(logged[0]?.action, "redacted");
    assert.equal(logged[0]?.excerpt, "again, [EMAIL] and [EMAIL]");
    assert.equal(logged[0]?.text, null, "no full text without log_text");
  });

  test("a complete answer: blocked (refusal, no calls, content_filter) or redacted, calls' arguments too", async () => {
    const mod = moderationFor(
      deps(),
      request(),
      PolicyInput.parse({
        name: "out",
        output: { blocked_terms: ["secret"], personal_data: "redact" },
      }),
    );
    assert.ok(mod);
    const blocked = await mod.checkChoice({
      index: 0,
      text: "",
      tool_calls: [{ name: "send", arguments: '{"note":"the secret plan"}' }],
      finish_reason: "tool_calls",
    });
    assert.equal(blocked.finish_reason, "content_filter");
    assert.equal(blocked.text, "Sorry, I can't help with that.");
    assert.equal(blocked.tool_calls, undefined);
    const redacted = await mod.checkChoice({
      index: 0,
      text: "Mail ana@example.com",
      tool_calls: [{ name: "send", arguments: '{"to":"ana@example.com"}' }],
      finish_reason: "tool_calls",
    });
    assert.equal(redacted.text, "Mail [EMAIL]");
    assert.equal(redacted.tool_calls?.[0]?.arguments, '{"to":"[EMAIL]"}');
    assert.equal(redacted.finish_reason, "tool_calls");
  });

  test("stream: a blocked word is never sent; the generation is cut one piece after it", async () => {
    const mod = moderationFor(
      deps(),
      request(),
      PolicyInput.parse({
        name: "word",
        output: { blocked_terms: ["refund"] },
      }),
    );
    assert.ok(mod);
    let cut = 0;
    const guard = new StreamGuard(mod, { choices: 1, cut: () => cut++ });
    const answer = "We will look at it today and send a refund by Friday if the parcel is lost.";
    const out = await collect(guard.run(pieces(answer)));
    assert.equal(out.filtered, "Sorry, I can't help with that.");
    assert.equal(cut, 1);
    assert.equal(out.result, null, "the engine's result never came: the generation was cut");
    assert.ok(answer.startsWith(out.text), `sent only checked text: ${JSON.stringify(out.text)}`);
    assert.ok(!/refund/i.test(out.text));
    assert.equal(out.text, "We will look at it today and send a ");
    assert.deepEqual(guard.lateBy, [1], "found on the piece after the word ended");
  });

  test("stream with two choices: a blocked one is muted, the other ends whole, nothing cut", async () => {
    const mod = moderationFor(
      deps(),
      request(),
      PolicyInput.parse({ name: "two", output: { blocked_terms: ["refund"] } }),
    );
    assert.ok(mod);
    const texts = ["Your parcel left today.", "No refund for you at all today."];
    async function* two(): AsyncGenerator<GenerateEvent> {
      for (const [index, t] of texts.entries()) {
        for (const p of t.match(/\s*\S+/g) ?? []) yield { type: "delta", index, text: p };
      }
      yield {
        type: "result",
        choices: texts.map((text, index) => ({ index, text, finish_reason: "stop" as const })),
        prompt_tokens: 3,
        completion_tokens: 12,
      };
    }
    const guard = new StreamGuard(mod, { choices: 2, cut: () => assert.fail("not cut") });
    const sent = ["", ""];
    const filtered: number[] = [];
    let result: Extract<GuardedEvent, { type: "result" }> | null = null;
    for await (const ev of guard.run(two())) {
      if (ev.type === "delta") sent[ev.index] += ev.text;
      if (ev.type === "filtered") filtered.push(ev.index);
      if (ev.type === "result") result = ev;
    }
    assert.deepEqual(sent, ["Your parcel left today.", "No "]);
    assert.deepEqual(filtered, [1]);
    assert.deepEqual(
      result?.choices.map((c) => c.index),
      [0],
      "the blocked choice's end is the refusal's",
    );
  });

  test("stream: personal data never leaks, not even in part; the whole answer comes redacted", async () => {
    const mod = moderationFor(
      deps(),
      request(),
      PolicyInput.parse({
        name: "redact",
        output: { personal_data: "redact" },
      }),
    );
    assert.ok(mod);
    const guard = new StreamGuard(mod, { choices: 1, cut: () => assert.fail("not cut") });
    const answer =
      "Call me on +1 415 555 2671 or write to ana@example.com, and the card 4111 1111 1111 1111 is on file.";
    const out = await collect(guard.run(pieces(answer)));
    assert.equal(out.filtered, null);
    assert.equal(
      out.text,
      "Call me on [PHONE] or write to [EMAIL], and the card [CARD] is on file.",
    );
    assert.equal(out.result?.choices[0]?.text, out.text);
  });

  test("stream: categories scored at sentence ends; unscored text is held; a block cuts", async () => {
    const mod = moderationFor(
      deps(),
      request(),
      PolicyInput.parse({
        name: "calm",
        output: { categories: { violence: 0.5 } },
      }),
    );
    assert.ok(mod);
    let cut = 0;
    const guard = new StreamGuard(mod, { choices: 1, cut: () => cut++ });
    moderator.scored = [];
    const answer =
      "The class starts at nine. Then they fight in the yard. After that they eat lunch and go home.";
    const out = await collect(guard.run(pieces(answer)));
    assert.equal(out.text, "The class starts at nine.");
    assert.equal(out.filtered, "Sorry, I can't help with that.");
    assert.equal(cut, 1);
    assert.equal(out.result, null, "cut before the answer ended");
    assert.deepEqual(moderator.scored, [
      "The class starts at nine.",
      "The class starts at nine. Then they fight in the yard.",
    ]);
  });

  test("stream, flag_only: everything passes unchanged, and the flag is logged once at the end", async () => {
    const mod = moderationFor(
      deps(),
      request(),
      PolicyInput.parse({
        name: "watch",
        mode: "flag_only",
        log_text: true,
        output: { blocked_terms: ["refund"], personal_data: "redact" },
      }),
    );
    assert.ok(mod);
    const guard = new StreamGuard(mod, { choices: 1, cut: () => assert.fail("not cut") });
    const answer = "A refund goes to ana@example.com today.";
    const out = await collect(guard.run(pieces(answer)));
    assert.equal(out.text, answer);
    const logged = flags.list({ policyName: "watch", limit: 10 }).flags;
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.action, "flagged");
    assert.equal(logged[0]?.text, answer, "log_text keeps the full text");
    assert.equal(logged[0]?.excerpt, "A r***** goes to [EMAIL] today.");
  });
});
