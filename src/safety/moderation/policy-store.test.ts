import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { TailorError } from "../../errors/index.ts";
import { storeBackends } from "../../store/postgres/__fixtures__/backends.ts";
import type { SqlDb } from "../../store/sql.ts";
import { PolicyStore } from "./policy-store.ts";

const field = (f: string) => (e: unknown) => e instanceof TailorError && e.details.field === f;

for (const backend of storeBackends())
  describe(`the policy store on ${backend.name}`, () => {
    let db: SqlDb;
    let store: PolicyStore;
    before(() => {
      db = backend.open(mkdtempSync(join(tmpdir(), "tailor-policies-"))).db;
      store = new PolicyStore(db, {
        model: (m) => ["tiny", "ft:tiny:x:1"].includes(m),
        key: (k) => k === "key_a" || k === "key_b",
      });
    });

    test("create, read by id or name, update some fields, rename; names unique", () => {
      const p = store.create(
        { name: "school", output: { blocked_terms: ["cheat"] } },
        { models: ["tiny"] },
      );
      assert.match(p.id, /^modpol_[0-9a-f]{24}$/);
      assert.equal(p.mode, "enforce");
      assert.equal(p.refusal, "Sorry, I can't help with that.");
      assert.deepEqual(p.attached, { models: ["tiny"], keys: [] });
      assert.deepEqual(store.get("school"), store.get(p.id));
      assert.throws(() => store.create({ name: "school" }), field("name"));
      assert.throws(() => store.create({ name: "Bad Name" }), field("name"));
      assert.throws(
        () => store.create({ name: "x", input: { patterns: ["a", "b", "[z"] } }),
        field("input.patterns[2]"),
      );
      const u = store.update("school", { mode: "flag_only", name: "school-desk" });
      assert.equal(u.mode, "flag_only");
      assert.deepEqual(u.output.blocked_terms, ["cheat"], "a field not given is kept");
      assert.deepEqual(u.attached.models, ["tiny"], "attachments kept when not given");
      assert.equal(store.find("school"), null);
      assert.throws(
        () =>
          store.update("school-desk", {
            output: { categories: {}, blocked_terms: [], patterns: ["("], personal_data: "allow" },
          }),
        field("output.patterns[0]"),
      );
    });

    test("attach and detach models and keys; unknown ones refused; which policies a request is under", () => {
      store.create({ name: "a-keys" }, { keys: ["key_a"] });
      const p = store.attach("school-desk", { models: ["ft:tiny:x:1"], keys: ["key_b"] });
      assert.deepEqual(p.attached, { models: ["ft:tiny:x:1", "tiny"], keys: ["key_b"] });
      assert.throws(
        () => store.attach("school-desk", { models: ["nope"] }),
        field("attached.models[0]"),
      );
      assert.throws(
        () => store.attach("school-desk", { keys: ["key_a", "key_z"] }),
        field("attached.keys[1]"),
      );
      assert.deepEqual(
        store.forRequest("tiny", "key_a").map((x) => x.name),
        ["school-desk", "a-keys"],
        "the model's first, then the key's",
      );
      assert.deepEqual(
        store.forRequest("other", "key_b").map((x) => x.name),
        ["school-desk"],
      );
      assert.deepEqual(
        store.forRequest("tiny", "key_b").map((x) => x.name),
        ["school-desk"],
        "once, though attached twice",
      );
      const d = store.detach("school-desk", { keys: ["key_b"] });
      assert.deepEqual(d.attached.keys, []);
      assert.throws(
        () => store.detach("school-desk", { keys: ["key_b"] }),
        /not attached to key "key_b"/,
      );
      const replaced = store.update("school-desk", { attached: { models: [] } });
      assert.deepEqual(replaced.attached.models, []);
    });

    test("delete: gone with its attachments", () => {
      const { id } = store.delete("a-keys");
      assert.equal(store.find(id), null);
      assert.deepEqual(store.forRequest("tiny", "key_a"), []);
      const left = db
        .prepare("SELECT COUNT(*) AS n FROM moderation_attachments WHERE policy_id = ?")
        .get(id) as { n: number };
      assert.equal(left.n, 0);
      assert.throws(() => store.get("a-keys"), /no moderation policy "a-keys"/);
    });
  });
