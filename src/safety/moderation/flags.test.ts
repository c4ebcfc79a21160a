import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { storeBackends } from "../../store/postgres/__fixtures__/backends.ts";
import { FlagStore, maskedExcerpt } from "./flags.ts";

describe("flags", () => {
  test("an excerpt is short, around what fired, with it and any e-mail or phone masked", () => {
    const text = `${"Filler words here. ".repeat(10)}Send the refund to ana@example.com now, or call +1 415 555 2671. ${"More. ".repeat(30)}`;
    const at = text.indexOf("refund");
    const e = maskedExcerpt(text, [{ start: at, end: at + 6, kind: "term", rule: "refund" }]);
    assert.ok(e.startsWith("…") && e.endsWith("…"), e);
    assert.ok(e.length <= 125, `${e.length} characters`);
    assert.match(e, /Send the r\*\*\*\*\* to \[EMAIL\] now, or call \[PHONE\]\./);
    // a category scores the whole text: the excerpt is its start, personal data still masked
    const c = maskedExcerpt("Mail ana@example.com, you idiot", []);
    assert.equal(c, "Mail [EMAIL], you idiot");
  });

  for (const backend of storeBackends())
    test(`listed newest first, filtered, paged with after; a member's own only (${backend.name})`, () => {
      const store = new FlagStore(backend.open(mkdtempSync(join(tmpdir(), "tailor-flags-"))).db);
      const flag = (n: number, owner: string, policy: string) =>
        store.record({
          policy_id: policy === "inline" ? null : `modpol_${policy}`,
          policy_name: policy,
          stage: n % 2 ? "input" : "output",
          action: "blocked",
          hits: [{ kind: "term", rule: `w${n}` }],
          model: "tiny",
          key_id: `key_${owner}`,
          owner,
          request_id: `chatcmpl-${n}`,
          excerpt: "…",
          text: null,
        });
      const made = [1, 2, 3, 4, 5].map((n) =>
        flag(n, n <= 2 ? "alice" : "bob", n === 5 ? "inline" : "a"),
      );
      const ids = (q: Parameters<FlagStore["list"]>[0]) => store.list(q).flags.map((f) => f.id);
      const newest = made.map((f) => f.id).reverse();
      assert.deepEqual(ids({ limit: 10 }), newest);
      const first = store.list({ limit: 2 });
      assert.equal(first.hasMore, true);
      assert.deepEqual(ids({ limit: 2, after: first.flags[1]?.id }), newest.slice(2, 4));
      assert.deepEqual(ids({ limit: 10, owner: "alice" }), newest.slice(3));
      assert.deepEqual(ids({ limit: 10, policyName: "inline" }), [made[4]?.id]);
      assert.deepEqual(ids({ limit: 10, policyId: "modpol_a", stage: "input" }), [
        made[2]?.id,
        made[0]?.id,
      ]);
      assert.throws(() => store.list({ limit: 1, after: "modflag_nope" }), /after: no flag/);
      assert.deepEqual(store.list({ limit: 1 }).flags[0]?.hits, [{ kind: "term", rule: "w5" }]);
    });
});
