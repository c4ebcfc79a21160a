import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { TailorError } from "../errors/index.ts";
import { type StoreBackend, storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { AuditLog } from "./audit.ts";

function setupOn(backend: StoreBackend) {
  let now = 1_700_000_000_000;
  const home = mkdtempSync(join(tmpdir(), "tailor-audit-"));
  const log = new AuditLog(backend.open(home).db, { now: () => (now += 1000) });
  const support = { keyId: "key-1", owner: "support-team", role: "member" as const };
  log.append({
    ...support,
    action: "files.upload",
    target: "file-a",
    result: "ok",
    status: 200,
    client: "127.0.0.1 openai-node",
  });
  log.append({
    ...support,
    action: "fine_tuning.jobs.create",
    target: "ftjob-a",
    result: "ok",
    status: 200,
  });
  log.append({
    keyId: "key-2",
    owner: "analyst",
    role: "viewer",
    action: "fine_tuning.jobs.create",
    result: "denied",
    status: 403,
    details: { needs: "member" },
  });
  log.append({
    keyId: null,
    owner: "alice",
    role: "admin",
    action: "keys.create",
    target: "key-3",
    result: "ok",
    client: "cli",
  });
  log.append({
    keyId: null,
    owner: "alice",
    role: "admin",
    action: "keys.revoke",
    target: "key-1",
    result: "ok",
    client: "cli",
  });
  log.append({
    keyId: "key-2",
    owner: "analyst",
    role: "viewer",
    action: "keysmith.run",
    result: "error",
    status: 500,
  });
  return { home, log };
}

for (const backend of storeBackends())
  describe(`the audit log on ${backend.name}`, () => {
    const setup = () => setupOn(backend);

    test("entries come back newest first with increasing seq, time in ms, and details", () => {
      const { log } = setup();
      const all = log.list();
      assert.equal(all.length, 6);
      assert.deepEqual(
        all.map((e) => e.seq),
        [6, 5, 4, 3, 2, 1],
      );
      assert.equal(all.at(-1)?.at, 1_700_000_001_000);
      assert.equal(all.at(-1)?.client, "127.0.0.1 openai-node");
      const denied = all.find((e) => e.result === "denied");
      assert.deepEqual(denied?.details, { needs: "member" });
      assert.equal(denied?.status, 403);
      assert.equal(all[0]?.details, null);
      assert.equal(all[0]?.target, null);
      log.db.close();
    });

    test("filters by owner, key and action (an action or its dotted family), and pages with after", () => {
      const { log } = setup();
      assert.deepEqual(
        log.list({ owner: "support-team" }).map((e) => e.action),
        ["fine_tuning.jobs.create", "files.upload"],
      );
      assert.deepEqual(
        log.list({ action: "keys" }).map((e) => e.action),
        ["keys.revoke", "keys.create"],
        "`keys` takes in keys.* but not keysmith.run",
      );
      assert.equal(log.list({ action: "keys.create" }).length, 1);
      assert.equal(log.list({ action: "fine_tuning" }).length, 2);
      assert.equal(log.list({ keyId: "key-2" }).length, 2);
      assert.equal(
        log.list({ owner: "analyst", action: "fine_tuning.jobs.create" })[0]?.result,
        "denied",
      );

      const page1 = log.list({ limit: 4 });
      const page2 = log.list({ limit: 4, after: page1.at(-1)?.seq });
      assert.deepEqual(
        [...page1, ...page2].map((e) => e.seq),
        [6, 5, 4, 3, 2, 1],
      );
      assert.throws(
        () => log.list({ limit: 0 }),
        (e) => e instanceof TailorError && e.code === "invalid_argument",
      );
      log.db.close();
    });

    test("a plaintext key never reaches the log, and oversized details are cut", () => {
      const { home, log } = setup();
      const key = `tailor-sk-${"ab".repeat(24)}`;
      const e = log.append({
        keyId: null,
        owner: null,
        role: null,
        action: "auth.failed",
        target: key,
        result: "denied",
        status: 401,
        details: { header: `Bearer ${key}`, big: "x".repeat(10) },
      });
      assert.equal(e.target, "tailor-sk-[redacted]");
      assert.deepEqual(e.details, { header: "Bearer tailor-sk-[redacted]", big: "xxxxxxxxxx" });
      const huge = log.append({
        keyId: null,
        owner: null,
        role: null,
        action: "x",
        result: "ok",
        details: { big: "x".repeat(10_000) },
      });
      assert.equal(huge.details?.truncated, true);
      log.db.close();

      const { db } = backend.open(home);
      const rows = JSON.stringify(db.prepare("SELECT * FROM audit_log").all());
      db.close();
      assert.ok(!rows.includes(key));
    });

    test("an entry needs an action and a known result", () => {
      const { log } = setup();
      const bad = { keyId: null, owner: null, role: null, action: "x" };
      assert.throws(() => log.append({ ...bad, result: "maybe" as "ok" }), TailorError);
      assert.throws(() => log.append({ ...bad, action: " ", result: "ok" }), TailorError);
      log.db.close();
    });
  });
