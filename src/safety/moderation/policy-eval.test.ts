import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type CategoryScores,
  MODERATION_CATEGORIES,
  PolicyInput,
} from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";
import { CompiledPolicy } from "./policy-eval.ts";
import { findPersonalData, Placeholders } from "./policy-pii.ts";

const policy = (fields: Record<string, unknown>, prefix = "") =>
  new CompiledPolicy({ ...PolicyInput.parse({ name: "p", ...fields }), id: null }, prefix);
const scores = (s: Partial<CategoryScores>): CategoryScores =>
  ({ ...Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, 0])), ...s }) as CategoryScores;
const pii = async (text: string) => (await findPersonalData([text], null))[0];

describe("policy evaluation", () => {
  test("blocked terms match whole words in any case, phrases across spaces; not inside words", () => {
    const p = policy({ output: { blocked_terms: ["refund", "credit card"] } });
    const hit = p.check("output", "You get a REFUND on your Credit\n  card.");
    assert.equal(hit.decision.action, "blocked");
    assert.equal(hit.decision.text, "Sorry, I can't help with that.");
    assert.deepEqual(
      hit.decision.hits.map((h) => h.rule),
      ["refund", "credit card"],
    );
    assert.deepEqual(
      hit.spans.map((s) => [s.start, s.end]),
      [
        [10, 16],
        [25, 38],
      ],
    );
    const clean = p.check("output", "Refunds and cardboard are fine; so is refund_policy.");
    assert.equal(clean.decision.action, "allowed");
    assert.equal(clean.decision.text, "Refunds and cardboard are fine; so is refund_policy.");
    // a side without the term lets it pass
    assert.equal(p.check("input", "refund").decision.action, "allowed");
  });

  test("patterns: RE2, case-insensitive, each rule reported once with every span", () => {
    const p = policy({ input: { patterns: ["order a-\\d{3}"] } });
    const c = p.check("input", "ORDER A-123 and order a-456");
    assert.equal(c.decision.action, "blocked");
    assert.deepEqual(c.decision.hits, [{ kind: "pattern", rule: "order a-\\d{3}" }]);
    assert.equal(c.spans.length, 2);
    assert.equal(p.check("input", "order b-123").decision.action, "allowed");
  });

  test("a bad pattern or a blank term is refused naming its field", () => {
    assert.throws(
      () => policy({ output: { patterns: ["ok", "(unclosed"] } }),
      (e: unknown) =>
        e instanceof TailorError &&
        e.details.field === "output.patterns[1]" &&
        /missing closing \)/.test(e.message),
    );
    assert.throws(
      () => policy({ input: { patterns: ["(a)\\1"] } }, "tailor.moderation"),
      (e: unknown) =>
        e instanceof TailorError && e.details.field === "tailor.moderation.input.patterns[0]",
    );
    assert.throws(
      () => policy({ input: { blocked_terms: ["  "] } }),
      (e: unknown) => e instanceof TailorError && e.details.field === "input.blocked_terms[0]",
    );
  });

  test("categories fire at their threshold, with the score and the threshold", () => {
    const p = policy({ input: { categories: { harassment: 0.5, violence: 0.9 } } });
    assert.ok(p.needsScores("input"));
    assert.ok(!p.needsScores("output"));
    const c = p.check("input", "text", { scores: scores({ harassment: 0.5, violence: 0.8 }) });
    assert.equal(c.decision.action, "blocked");
    assert.deepEqual(c.decision.hits, [
      { kind: "category", rule: "harassment", score: 0.5, threshold: 0.5 },
    ]);
    const below = p.check("input", "text", { scores: scores({ harassment: 0.49 }) });
    assert.equal(below.decision.action, "allowed");
  });

  test("personal data redacted with shared placeholders, or blocked", async () => {
    const text = "Write to ana@example.com or bo@example.org, again ana@example.com.";
    const redact = policy({ output: { personal_data: "redact" } });
    const names = new Placeholders();
    const c = redact.check("output", text, { pii: await pii(text) }, names);
    assert.equal(c.decision.action, "redacted");
    assert.equal(c.decision.text, "Write to [EMAIL] or [EMAIL_2], again [EMAIL].");
    assert.deepEqual(c.decision.hits, [{ kind: "personal_data", rule: "EMAIL" }]);
    // the same address in another text of the request keeps its placeholder
    const later = "bo@example.org says hi";
    assert.equal(
      redact.check("output", later, { pii: await pii(later) }, names).decision.text,
      "[EMAIL_2] says hi",
    );

    const block = policy({ output: { personal_data: "block" }, refusal: "No personal data." });
    const b = block.check("output", text, { pii: await pii(text) });
    assert.equal(b.decision.action, "blocked");
    assert.equal(b.decision.text, "No personal data.");
    // personal data with another rule firing: blocked, not merely redacted
    const both = policy({ output: { personal_data: "redact", blocked_terms: ["again"] } });
    assert.equal(both.check("output", text, { pii: await pii(text) }).decision.action, "blocked");
  });

  test("flag_only: every rule reported, the text never changed", async () => {
    const text = "Refund to ana@example.com";
    const p = policy({
      mode: "flag_only",
      output: { blocked_terms: ["refund"], personal_data: "redact" },
    });
    const c = p.check("output", text, { pii: await pii(text) });
    assert.equal(c.decision.action, "flagged");
    assert.equal(c.decision.text, text);
    assert.deepEqual(
      c.decision.hits.map((h) => `${h.kind}:${h.rule}`),
      ["term:refund", "personal_data:EMAIL"],
    );
  });
});
