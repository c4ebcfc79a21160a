import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { isTailorError, TailorError } from "../errors/index.ts";
import { openDb } from "../store/index.ts";
import { storeBackends } from "../store/postgres/__fixtures__/backends.ts";
import { ADMIN_KEY_FILE, ensureAdminKey, readLocalAdminKey } from "./admin-key.ts";
import { checkPrivateFile, checkPrivateFiles } from "./key-files.ts";
import { hasRole, KeyStore } from "./keys.ts";

const home = () => mkdtempSync(join(tmpdir(), "tailor-keys-"));
const keyStore = (dir: string, opts: { now?: () => number } = {}) =>
  new KeyStore(openDb(dir), opts);
/** The admin key of `dir`, on a connection of its own (as a server or a CLI command has). */
function adminKey(dir: string) {
  const store = keyStore(dir);
  try {
    return ensureAdminKey(dir, store);
  } finally {
    store.db.close();
  }
}
const isCode = (code: string) => (e: unknown) => e instanceof TailorError && e.code === code;

// the key store's own tests, on both backends
for (const backend of storeBackends())
  describe(`keys on ${backend.name}`, () => {
    const keyStoreOn = (dir: string, opts: { now?: () => number } = {}) =>
      new KeyStore(backend.open(dir).db, opts);

    test("a created key verifies, shows only its prefix, and stops verifying once revoked", () => {
      const store = keyStoreOn(home());
      const { key, record } = store.create({ name: "support-team", role: "member" });
      assert.match(key, /^tailor-sk-[0-9a-f]{48}$/);
      assert.match(record.id, /^key-[0-9a-f]{16}$/);
      assert.equal(record.owner, "support-team", "the owner defaults to the name");
      assert.equal(record.prefix, key.slice(0, 16));
      assert.equal(record.last_used_at, null);

      const verified = store.verify(key);
      assert.equal(verified?.id, record.id);
      assert.equal(verified?.role, "member");
      assert.notEqual(verified?.last_used_at, null);
      assert.equal(
        store.verify(`Bearer ${key}`)?.id,
        record.id,
        "a whole Authorization value works",
      );
      for (const listed of [store.list(), [store.get(record.id)]]) {
        const text = JSON.stringify(listed);
        assert.ok(!text.includes(key) && !text.includes("hash"), "no plaintext or hash is listed");
      }

      const revoked = store.revoke(record.id);
      assert.notEqual(revoked.revoked_at, null);
      assert.equal(store.verify(key), null);
      assert.throws(() => store.revoke(record.id), isCode("conflict"));
      assert.throws(() => store.revoke("key-0000000000000000"), isCode("not_found"));
      assert.deepEqual(
        store.list({ activeOnly: true }).map((k) => k.id),
        [],
      );
      store.db.close();
    });

    test("the database holds a sha256 of the key, never the key", () => {
      const dir = home();
      const store = keyStoreOn(dir);
      const { key, record } = store.create({ name: "ci", role: "viewer", owner: "platform" });
      store.db.close();
      const { db } = backend.open(dir);
      const row = db.prepare("SELECT * FROM api_keys WHERE id = ?").get(record.id) as Record<
        string,
        unknown
      >;
      db.close();
      assert.equal(row.owner, "platform");
      assert.match(String(row.hash), /^[0-9a-f]{64}$/);
      assert.ok(!Object.values(row).some((v) => v === key), "the plaintext is in no column");
      for (const f of ["tailor.db", "tailor.db-wal"].filter((f) => existsSync(join(dir, f)))) {
        // the SQLite file itself (a Postgres server keeps its files elsewhere)
        assert.equal(
          readFileSync(join(dir, f)).includes(key.slice(16)),
          false,
          `nor anywhere in ${f}`,
        );
      }
    });

    test("malformed, unknown and empty tokens all fail the same way", () => {
      const store = keyStoreOn(home());
      store.create({ name: "a", role: "admin" });
      for (const token of [
        "",
        null,
        undefined,
        "tailor-sk-short",
        `tailor-sk-${"0".repeat(48)}`,
        "sk-proj-abc",
      ]) {
        assert.equal(store.verify(token), null, String(token));
      }
      store.db.close();
    });

    test("bad names and roles are refused with invalid_argument", () => {
      const store = keyStoreOn(home());
      assert.throws(() => store.create({ name: "x", role: "root" }), isCode("invalid_argument"));
      assert.throws(() => store.create({ name: "  ", role: "member" }), isCode("invalid_argument"));
      assert.throws(
        () => store.create({ name: "x", role: "member", owner: "a\nb" }),
        isCode("invalid_argument"),
      );
      store.db.close();
    });

    test("last_used_at is written at most once a minute", () => {
      let now = 1_700_000_000_000;
      const store = keyStoreOn(home(), { now: () => now });
      const { key, record } = store.create({ name: "a", role: "viewer" });
      assert.equal(store.verify(key)?.last_used_at, 1_700_000_000);
      now += 30_000;
      store.verify(key);
      assert.equal(store.get(record.id).last_used_at, 1_700_000_000);
      now += 31_000;
      store.verify(key);
      assert.equal(store.get(record.id).last_used_at, 1_700_000_061);
      store.db.close();
    });
  });

test("roles nest: admin may do what a member may, a member what a viewer may", () => {
  assert.ok(
    hasRole("admin", "member") && hasRole("member", "viewer") && hasRole("viewer", "viewer"),
  );
  assert.ok(!hasRole("viewer", "member") && !hasRole("member", "admin"));
});

test("ensureAdminKey writes admin.key with mode 0600 once and reuses it", () => {
  const dir = home();
  assert.equal(readLocalAdminKey(dir), null);
  const first = adminKey(dir);
  assert.equal(first.created, true);
  assert.equal(first.record.role, "admin");
  const path = join(dir, ADMIN_KEY_FILE);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(readLocalAdminKey(dir), first.key);

  const second = adminKey(dir);
  assert.equal(second.created, false);
  assert.equal(second.key, first.key);
  assert.equal(second.record.id, first.record.id);
  const store = keyStore(dir);
  assert.equal(store.list().length, 1, "no second key was made");

  store.revoke(first.record.id);
  const third = ensureAdminKey(dir, store);
  assert.equal(third.created, true, "a revoked admin key is replaced");
  assert.notEqual(third.key, first.key);
  assert.equal(readLocalAdminKey(dir), third.key);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  store.db.close();
});

test("ensureAdminKey replaces a file whose key does not verify, and refuses a readable one", () => {
  const dir = home();
  const path = join(dir, ADMIN_KEY_FILE);
  writeFileSync(path, `tailor-sk-${"a".repeat(48)}\n`, { mode: 0o644 });
  const made = adminKey(dir);
  assert.equal(made.created, true);
  assert.equal(readFileSync(path, "utf8"), `${made.key}\n`);

  const store = keyStore(dir);
  const member = store.create({ name: "m", role: "member" });
  store.db.close();
  writeFileSync(path, member.key);
  const replaced = adminKey(dir);
  assert.equal(replaced.created, true, "a key that is not an admin's is not reused");

  assert.equal(statSync(path).mode & 0o777, 0o600, "the replacement is private");

  chmodSync(path, 0o640);
  assert.throws(
    () => adminKey(dir),
    (e: unknown) =>
      isTailorError(e) &&
      e.code === "forbidden" &&
      e.message.includes(`may be read by other users (mode 640); run \`chmod 600 ${path}\``),
  );
  assert.equal(statSync(path).mode & 0o777, 0o640, "left as it was: the owner decides");
  assert.equal(readLocalAdminKey(dir), replaced.key, "and not replaced");
  chmodSync(path, 0o600);
  assert.equal(adminKey(dir).key, replaced.key, "after chmod 600 it is used again");
});

test("checkPrivateFiles names the first key file others may read; missing files are fine", () => {
  const dir = home();
  checkPrivateFiles(dir);
  writeFileSync(join(dir, "share.key"), "x", { mode: 0o600 });
  writeFileSync(join(dir, "secrets.key"), "x", { mode: 0o600 });
  chmodSync(join(dir, "secrets.key"), 0o604);
  checkPrivateFile(join(dir, "share.key"), "a key");
  assert.throws(
    () => checkPrivateFiles(dir),
    /secrets\.key holds the key that decrypts every assistant's secret headers and may be read by other users \(mode 604\)/,
  );
});

test("processes starting together make one admin key between them", async () => {
  const dir = home();
  // the schema first: openDb's migrations race on a brand-new database (a separate issue)
  keyStore(dir).db.close();
  const url = (f: string) => JSON.stringify(new URL(f, import.meta.url).href);
  const script = `import { ensureAdminKey } from ${url("./admin-key.ts")};
import { KeyStore } from ${url("./keys.ts")};
import { openDb } from ${url("../store/index.ts")};
const dir = ${JSON.stringify(dir)};
process.stdout.write(ensureAdminKey(dir, new KeyStore(openDb(dir))).key);`;
  const run = () =>
    new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script],
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
    });
  const keys = await Promise.all([run(), run(), run(), run()]);
  assert.equal(new Set(keys).size, 1, "every process got the same key");
  const store = keyStore(dir);
  assert.equal(store.list().length, 1);
  store.db.close();
});
