/**
 * kill -9 during `tailor data add` and during a schema migration (real `bin/tailor` processes, real
 * SQLite): afterwards the store opens, nothing half-written is listed, what the killed process left
 * is removed, and the same add gives what a clean run gives.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import {
  crashSandbox,
  examplesJsonl,
  filesUnder,
  kill9,
  leftovers,
  paused,
} from "./__fixtures__/crash.ts";
import { MIGRATIONS } from "./index.ts";

interface Added {
  id: string;
  train_examples: number;
  train_sha256: string;
  created: boolean;
}

test("kill -9 during tailor data add: nothing is listed, the leftovers go, the retry stores what a clean run stores", async (t) => {
  const sb = crashSandbox("tailor-crash-add-");
  const clean = crashSandbox("tailor-crash-add-clean-");
  t.after(() => {
    sb.clean();
    clean.clean();
  });
  const data = join(sb.root, "examples.jsonl");
  writeFileSync(data, examplesJsonl(40));
  const add = ["data", "add", data, "--no-tokens", "--json"];

  // 1. killed while the examples' blob is being copied in: it lies in TAILOR_HOME/tmp, not in place
  const first = sb.start(add, "blob-copied");
  await paused(first, "blob-copied");
  const during = leftovers(sb.home);
  assert.ok(
    during.some((f) => f.startsWith(`tmp/add-${first.pid}-`)) &&
      during.some((f) => f.startsWith(`tmp/blob-${first.pid}-`)),
    `the add's temporary files: ${during.join(", ")}`,
  );
  await kill9(first);
  assert.deepEqual(await sb.json("data", "list"), [], "no dataset after the first kill");
  assert.deepEqual(leftovers(sb.home), [], "the killed add's temporary files are removed");
  assert.deepEqual(filesUnder(join(sb.home, "blobs")), [], "no blob was stored");

  // 2. killed inside the transaction that stores the version's row
  const second = sb.start(add, "dataset-stored");
  await paused(second, "dataset-stored");
  await kill9(second);
  assert.deepEqual(await sb.json("data", "list"), [], "no dataset after the second kill");
  assert.deepEqual(leftovers(sb.home), []);
  // the blob went into place before the row: whole (content-addressed), unlisted, used by the retry
  const blobs = filesUnder(join(sb.home, "blobs"));
  assert.equal(blobs.length, 1, blobs.join(", "));

  // 3. the retry, and a clean run in another home
  const retried = await sb.json<Added>(...add.slice(0, -1));
  const reference = await clean.json<Added>(...add.slice(0, -1));
  assert.equal(retried.created, true);
  assert.deepEqual(
    { id: retried.id, examples: retried.train_examples, sha256: retried.train_sha256 },
    { id: reference.id, examples: 40, sha256: reference.train_sha256 },
  );
  const listed = await sb.json<{ id: string }[]>("data", "list");
  assert.deepEqual(
    listed.map((d) => d.id),
    [reference.id],
  );
  assert.deepEqual(filesUnder(join(sb.home, "blobs")), blobs, "the retry reused the blob");
  assert.deepEqual(leftovers(sb.home), []);
});

/** The tables, indexes and triggers a database has. */
const objects = (db: Database.Database): string[] =>
  (db.prepare("SELECT name FROM sqlite_master ORDER BY name").all() as { name: string }[]).map(
    (r) => r.name,
  );

test("kill -9 during a schema migration: the home keeps its older schema and data, and the next start migrates it", async (t) => {
  const sb = crashSandbox("tailor-crash-migrate-");
  t.after(() => sb.clean());
  const latest = MIGRATIONS.length;
  // a home made by the Tailor before the latest schema change, with a row in it
  mkdirSync(sb.home, { recursive: true });
  const file = join(sb.home, "tailor.db");
  const old = new Database(file);
  old.pragma("journal_mode = WAL");
  for (const step of MIGRATIONS.slice(0, latest - 1)) old.exec(step);
  old.pragma(`user_version = ${latest - 1}`);
  old.prepare("INSERT INTO model_access (name, owner, shared) VALUES ('support', 'ana', 1)").run();
  const before = objects(old);
  old.close();
  const scratch = new Database(":memory:");
  for (const step of MIGRATIONS) scratch.exec(step);
  const after = objects(scratch);
  scratch.close();
  const added = after.filter((n) => !before.includes(n));
  assert.ok(added.length > 0, "the latest migration makes tables");

  const p = sb.start(["data", "list", "--json"], `migration-${latest}`);
  await paused(p, `migration-${latest}`);
  await kill9(p);

  const look = () => {
    const db = new Database(file);
    try {
      return {
        version: db.pragma("user_version", { simple: true }),
        objects: objects(db),
        rows: db.prepare("SELECT name, owner, shared FROM model_access").all(),
        integrity: db.pragma("integrity_check", { simple: true }),
      };
    } finally {
      db.close();
    }
  };
  const crashed = look();
  assert.equal(crashed.version, latest - 1, "the half-done migration was rolled back");
  assert.deepEqual(crashed.objects, before, "none of its tables were left");
  assert.deepEqual(crashed.rows, [{ name: "support", owner: "ana", shared: 1 }]);
  assert.equal(crashed.integrity, "ok");

  assert.deepEqual(await sb.json("data", "list"), [], "the store opens");
  const migrated = look();
  assert.equal(migrated.version, latest);
  assert.deepEqual(migrated.objects, after);
  assert.deepEqual(migrated.rows, crashed.rows, "the older data is kept");
  assert.equal(migrated.integrity, "ok");
});
