/**
 * Model names on a real SQLite database and a real Postgres server: versions in order, promote and rollback along what
 * answered, a gate's refusal in the history, who and why on every change, one transaction each.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { GateDecision } from "../../../protocol/versions.ts";
import { TailorError } from "../../errors/index.ts";
import { type StoreBackend, storeBackends } from "../../store/postgres/__fixtures__/backends.ts";
import { isPostgres } from "../../store/sql.ts";
import { ModelNames } from "./store.ts";

const MODELS = new Set(["tiny", "ft:tiny:a:1", "ft:tiny:a:2", "ft:tiny:a:3"]);

function storeOn(backend: StoreBackend) {
  const db = backend.open(mkdtempSync(join(tmpdir(), "tailor-names-"))).db;
  return new ModelNames(db, { exists: (id) => MODELS.has(id) });
}

const refused = (fn: () => unknown, code: string, text: RegExp, field?: string) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TailorError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, text);
    if (field) assert.equal(e.details.field, field);
    return true;
  });

const gate: GateDecision = {
  promote: true,
  reason: "no worse on the original held-out set (0.81 vs 0.80) and better on the corrections",
  current: { version: 1, model: "ft:tiny:a:1" },
  candidate: { model: "ft:tiny:a:2" },
  sets: [],
  decided_at: 1,
};

for (const backend of storeBackends())
  describe(`model names on ${backend.name}`, () => {
    const store = () => storeOn(backend);

    test("create is v1 answering; add makes v2 without promoting it; promote and rollback along what answered", () => {
      const names = store();
      const n = names.create("support", "alice", "ft:tiny:a:1", "key-a", "first tuned model");
      assert.equal(n.current, 1);
      assert.equal(n.current_model, "ft:tiny:a:1");
      assert.equal(n.owner, "alice");
      assert.equal(n.store_completions, false);
      assert.equal(n.retention_days, 30);

      const v2 = names.add("support", "ft:tiny:a:2", {
        who: "key-a",
        why: "retrained",
        origin: "added",
      });
      assert.equal(v2.version, 2);
      assert.equal(names.get("support").current, 1, "added, not answering yet");
      assert.equal(names.resolve("support")?.model, "ft:tiny:a:1");
      assert.equal(names.resolve("support@v2")?.model, "ft:tiny:a:2");
      assert.equal(names.resolve("support@v2")?.pinned, true);

      const v3 = names.add("support", "ft:tiny:a:3", {
        who: "job-runner",
        why: "the gate said yes",
        origin: "retrain",
        jobId: "ftjob-9",
        gate,
        promote: true,
      });
      assert.equal(v3.version, 3);
      assert.deepEqual(v3.gate, gate);
      assert.equal(v3.job_id, "ftjob-9");
      assert.equal(names.get("support").current, 3);

      names.promote("support", 2, "key-b", "v3 is rude to customers");
      assert.equal(names.get("support").current_model, "ft:tiny:a:2");
      // back along what answered: 2 -> 3 -> 1, then nothing before v1
      assert.equal(names.rollback("support", "key-b", "v2 was worse").current, 3);
      assert.equal(names.rollback("support", "key-b", "v3 too").current, 1);
      refused(
        () => names.rollback("support", "key-b", "again"),
        "conflict",
        /v1 is the first version that answered/,
      );
      assert.deepEqual(
        names.events("support").map((e) => [e.action, e.from_version, e.to_version, e.who, e.why]),
        [
          ["create", null, 1, "key-a", "first tuned model"],
          ["add", null, 2, "key-a", "retrained"],
          ["add", null, 3, "job-runner", "the gate said yes"],
          ["promote", 1, 3, "job-runner", "the gate said yes"],
          ["promote", 3, 2, "key-b", "v3 is rude to customers"],
          ["rollback", 2, 3, "key-b", "v2 was worse"],
          ["rollback", 3, 1, "key-b", "v3 too"],
        ],
      );
      assert.deepEqual(names.models("support"), ["ft:tiny:a:1", "ft:tiny:a:2", "ft:tiny:a:3"]);
    });

    test("refusals are clear: unknown or current version, nothing to roll back, bad names, names hiding models", () => {
      const names = store();
      names.create("support", "alice", "ft:tiny:a:1", "key-a", "first");
      refused(
        () => names.rollback("support", "key-a", "undo"),
        "conflict",
        /support has answered with v1 only/,
      );
      refused(
        () => names.promote("support", 1, "key-a", "again"),
        "conflict",
        /already the version answering/,
      );
      refused(
        () => names.promote("support", 7, "key-a", "why"),
        "not_found",
        /no v7; it has v1/,
        "version",
      );
      refused(
        () => names.promote("support", 1, "key-a", "  "),
        "invalid_argument",
        /say why/,
        "why",
      );
      refused(
        () => names.create("ft:tiny:x", "a", "tiny", "k", "w"),
        "invalid_argument",
        /fine-tuned/,
        "name",
      );
      refused(
        () => names.create("asst_abc", "a", "tiny", "k", "w"),
        "invalid_argument",
        /assistant id/,
        "name",
      );
      refused(
        () => names.create("Support!", "a", "tiny", "k", "w"),
        "invalid_argument",
        /lowercase/,
        "name",
      );
      refused(
        () => names.create("tiny", "a", "tiny", "k", "w"),
        "conflict",
        /already a model's id/,
        "name",
      );
      refused(
        () => names.create("support", "bob", "tiny", "k", "w"),
        "conflict",
        /is taken/,
        "name",
      );
      refused(
        () => names.create("other", "a", "nope", "k", "w"),
        "model_not_found",
        /'nope'/,
        "model",
      );
      refused(
        () => names.create("other", "a", "support", "k", "w"),
        "invalid_argument",
        /a model name, not a model/,
        "model",
      );
      refused(
        () => names.add("nope", "tiny", { who: "k", why: "w", origin: "added" }),
        "not_found",
        /no model name 'nope'/,
      );
      assert.equal(names.find("other"), null, "nothing half-made");
      assert.equal(names.resolve("nope"), null);
      assert.equal(names.resolve("ft:tiny:a:1"), null);
      refused(() => names.resolve("support@v4"), "not_found", /no v4/);
    });

    test("a refused promotion is kept in the history; storage settings; delete keeps other names", () => {
      const names = store();
      names.create("support", "alice", "ft:tiny:a:1", "key-a", "first");
      const sales = names.create("sales", "bob", "tiny", "key-b", "first", {
        storeCompletions: true,
        retentionDays: 90,
      });
      assert.equal(sales.store_completions, true);
      assert.equal(sales.retention_days, 90);
      const v2 = names.add("support", "ft:tiny:a:2", {
        who: "retrain",
        why: "candidate",
        origin: "retrain",
        gate: { ...gate, promote: false },
      });
      names.refused(
        "support",
        "retrain",
        "worse on the regression set: 2 of 5 examples broke",
        v2.version,
      );
      const last = names.events("support").at(-1);
      assert.equal(last?.action, "refused");
      assert.equal(last?.from_version, 1);
      assert.equal(last?.to_version, 2);
      assert.match(last?.why ?? "", /regression set/);
      assert.equal(names.get("support").current, 1);

      const s = names.setStorage("support", { storeCompletions: true, retentionDays: 7 });
      assert.equal(s.store_completions, true);
      assert.equal(s.retention_days, 7);
      refused(
        () => names.setStorage("support", { retentionDays: 0 }),
        "invalid_argument",
        /1 to 3650/,
        "retention_days",
      );
      refused(
        () => names.setStorage("support", { retentionDays: 3651 }),
        "invalid_argument",
        /1 to 3650/,
      );

      assert.deepEqual(
        names.list("alice").map((n) => n.name),
        ["support"],
      );
      assert.deepEqual(
        names.list(undefined).map((n) => n.name),
        ["sales", "support"],
      );
      names.delete("support");
      assert.equal(names.find("support"), null);
      assert.deepEqual(names.events("support"), []);
      assert.equal(names.get("sales").current_model, "tiny");
      refused(() => names.delete("support"), "not_found", /no model name/);
    });

    test("each change is one transaction: a failure half way leaves nothing behind", () => {
      const names = store();
      names.create("support", "alice", "ft:tiny:a:1", "key-a", "first");
      // make the event insert fail after the version row was written
      if (isPostgres(names.db)) {
        names.db
          .prepare(`CREATE FUNCTION no_add() RETURNS trigger LANGUAGE plpgsql
          AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`)
          .run();
        names.db
          .prepare(`CREATE TRIGGER no_add BEFORE INSERT ON model_name_events
          FOR EACH ROW WHEN (NEW.action = 'add') EXECUTE FUNCTION no_add()`)
          .run();
      } else {
        names.db
          .prepare(`CREATE TRIGGER no_add BEFORE INSERT ON model_name_events WHEN NEW.action = 'add'
          BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
          .run();
      }
      assert.throws(() =>
        names.add("support", "ft:tiny:a:2", { who: "k", why: "w", origin: "added", promote: true }),
      );
      const n = names.get("support");
      assert.equal(n.versions.length, 1);
      assert.equal(n.current, 1);
      assert.equal(names.events("support").length, 1);
    });
  });
