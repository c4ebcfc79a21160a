/**
 * `tailor migrate --to postgres://…`: copies a home's SQLite store into an empty Postgres database,
 * table by table in the order of their foreign keys, in one transaction, then checks each table's
 * row count and a hash of its rows read back from both sides. Identity columns keep their values
 * (and their sequences go on after them), so ids, pages and event numbers are the same afterwards.
 */
import { createHash } from "node:crypto";
import { TailorError } from "../errors/index.ts";
import type { Db } from "./db.ts";
import type { PostgresDb } from "./postgres/db.ts";

export interface TableCopy {
  table: string;
  rows: number;
  /** sha256 of the rows (each as JSON, sorted), read back from Postgres: equal to SQLite's. */
  sha256: string;
}

interface PgColumn {
  name: string;
  identity: boolean;
  generated: boolean;
}

/** Postgres' tables, parents before the tables that refer to them. */
function tablesInOrder(pg: PostgresDb): string[] {
  const tables = pg
    .query(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'tailor_schema' ORDER BY table_name",
    )
    .rows.map((r) => String(r.t));
  const parents = new Map<string, Set<string>>(tables.map((t) => [t, new Set()]));
  for (const r of pg.query(
    `SELECT tc.table_name AS child, ccu.table_name AS parent
       FROM information_schema.table_constraints tc
       JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name
      WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'`,
  ).rows)
    if (r.child !== r.parent) parents.get(String(r.child))?.add(String(r.parent));
  const ordered: string[] = [];
  const visit = (t: string) => {
    if (ordered.includes(t)) return;
    for (const p of parents.get(t) ?? []) visit(p);
    ordered.push(t);
  };
  for (const t of tables) visit(t);
  return ordered;
}

function columnsOf(pg: PostgresDb, table: string): PgColumn[] {
  return pg
    .query(
      `SELECT column_name AS name, is_identity AS identity, is_generated AS generated
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1
        ORDER BY ordinal_position`,
      [table],
    )
    .rows.map((r) => ({
      name: String(r.name),
      identity: r.identity === "YES",
      generated: r.generated === "ALWAYS",
    }));
}

/** One row as hashed: the same text for the same values on either side. */
function canonical(row: Record<string, unknown>, columns: string[]): string {
  return JSON.stringify(
    columns.map((c) => {
      const v = row[c];
      if (v === null || v === undefined) return null;
      if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString("hex")}`;
      if (typeof v === "bigint") return Number(v);
      return v;
    }),
  );
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Copies every table of `sqlite` into `pg` (migrated, and empty: a database holding jobs or
 * datasets already is refused), then checks counts and hashes. `onTable` reports each table copied.
 */
export function copyToPostgres(
  sqlite: Db,
  pg: PostgresDb,
  onTable: (t: TableCopy) => void = () => {},
): TableCopy[] {
  const tables = tablesInOrder(pg);
  const sqliteTables = new Set(
    (
      sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[]
    ).map((r) => r.name),
  );
  for (const t of tables) {
    const n = Number(pg.query(`SELECT COUNT(*) AS n FROM ${quote(t)}`).rows[0]?.n ?? 0);
    if (n > 0)
      throw new TailorError({
        code: "conflict",
        message: `the Postgres database is not empty (its table ${t} has ${n} row(s)); migrate into a new, empty database`,
        details: { field: "to" },
      });
  }
  const copied: TableCopy[] = [];
  pg.transaction(() => {
    for (const table of tables) {
      if (!sqliteTables.has(table)) continue; // a table this home's schema has no rows for
      const all = columnsOf(pg, table).filter((c) => !c.generated);
      const sqliteColumns = new Set(
        (sqlite.prepare(`PRAGMA table_info(${quote(table)})`).all() as { name: string }[]).map(
          (c) => c.name,
        ),
      );
      // a Postgres `rowid` column stands for SQLite's implicit rowid (lists page by it)
      const columns = all.filter((c) => sqliteColumns.has(c.name) || c.name === "rowid");
      const names = columns.map((c) => c.name);
      const select = names.map((n) =>
        n === "rowid" && !sqliteColumns.has(n) ? "rowid AS rowid" : quote(n),
      );
      const rows = sqlite
        .prepare(`SELECT ${select.join(", ")} FROM ${quote(table)}`)
        .all() as Record<string, unknown>[];
      const overriding = columns.some((c) => c.identity) ? " OVERRIDING SYSTEM VALUE" : "";
      const perInsert = Math.max(1, Math.floor(30_000 / Math.max(1, names.length)));
      for (let i = 0; i < rows.length; i += perInsert) {
        const batch = rows.slice(i, i + perInsert);
        const values: unknown[] = [];
        const tuples = batch.map((row) => {
          const marks = names.map((n) => {
            values.push(row[n] ?? null);
            return `$${values.length}`;
          });
          return `(${marks.join(", ")})`;
        });
        pg.query(
          `INSERT INTO ${quote(table)} (${names.map(quote).join(", ")})${overriding} VALUES ${tuples.join(", ")}`,
          values,
        );
      }
      for (const c of columns.filter((c) => c.identity))
        pg.query(
          `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(${quote(c.name)}) FROM ${quote(table)}), 0) + 1, false)`,
          [table, c.name],
        );
      const back = pg.query(`SELECT ${names.map(quote).join(", ")} FROM ${quote(table)}`).rows;
      // in one order on both sides (Postgres' collation may order text unlike SQLite's bytes)
      const hash = (list: Record<string, unknown>[]) => {
        const h = createHash("sha256");
        for (const line of list.map((r) => canonical(r, names)).sort()) h.update(`${line}\n`);
        return h.digest("hex");
      };
      const want = hash(rows);
      const got = hash(back);
      if (back.length !== rows.length || got !== want)
        throw new TailorError({
          code: "internal",
          message: `table ${table}: ${rows.length} row(s) in SQLite but ${back.length} read back from Postgres${got !== want ? ", and their contents differ" : ""}; nothing was kept (the copy is one transaction)`,
        });
      const copy = { table, rows: rows.length, sha256: got };
      copied.push(copy);
      onTable(copy);
    }
  })();
  return copied;
}
