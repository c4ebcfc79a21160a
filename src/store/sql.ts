/**
 * The storage interface the stores are written against: prepared statements and transactions, as
 * better-sqlite3 offers them (a `Db` is one). src/store/postgres offers the same over a Postgres
 * server, so the same domain code runs on either. Statements use `?` or `@name` parameters and SQL
 * both dialects accept; where they differ, `dialect` says which one runs.
 */
export interface SqlStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

/** A function run in one transaction; `immediate` takes the write lock at the start (SQLite). */
// biome-ignore lint/suspicious/noExplicitAny: better-sqlite3's Transaction takes its function's arguments
export interface SqlTransaction<F extends (...args: any[]) => unknown> {
  // biome-ignore lint/suspicious/noExplicitAny: as above
  (...args: any[]): ReturnType<F>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  immediate(...args: any[]): ReturnType<F>;
}

export interface SqlDb {
  /** Absent: SQLite (better-sqlite3). */
  readonly dialect?: "postgres";
  prepare(sql: string): SqlStatement;
  // biome-ignore lint/suspicious/noExplicitAny: the transaction keeps its function's exact signature
  transaction<F extends (...args: any[]) => unknown>(fn: F): SqlTransaction<F>;
  close(): void;
}

export function isPostgres(db: SqlDb): boolean {
  return db.dialect === "postgres";
}
