/**
 * Where a home's store lives: TAILOR_HOME/tailor.db (SQLite, the default), or a Postgres server
 * when TAILOR_DATABASE_URL (the CLI's `--database`) names one. Blobs, models and training runs live
 * in TAILOR_SHARED_DIR when it is set (a folder every machine mounts), else in the home; so workers on
 * several machines, each with its own home, share one queue and one set of files.
 */
import { TailorError } from "../errors/index.ts";
import { openDb } from "./db.ts";
import { PostgresDb, redact } from "./postgres/db.ts";
import { migratePostgres } from "./postgres/schema.ts";
import type { SqlDb } from "./sql.ts";
import { sweepCrashLeftovers } from "./temp.ts";

/** The store's URL, when it is a Postgres server (TAILOR_DATABASE_URL); null: the home's SQLite file. */
export function databaseUrl(
  env: NodeJS.ProcessEnv = process.env,
  what = "TAILOR_DATABASE_URL",
): string | null {
  const url = env.TAILOR_DATABASE_URL?.trim();
  if (!url) return null;
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new TailorError({
      code: "invalid_argument",
      message: `${what} must be a Postgres URL (postgres://user:password@host:5432/database), not ${JSON.stringify(redact(url))}; leave it out to keep the store in TAILOR_HOME/tailor.db`,
      details: { field: what },
    });
  return url;
}

/** Opens the home's store (SQLite or Postgres, brought to the latest schema). */
export function openStore(home: string): SqlDb {
  const url = databaseUrl();
  if (!url) return openDb(home);
  const db = new PostgresDb(url);
  try {
    migratePostgres(db);
  } catch (e) {
    db.close();
    throw e;
  }
  sweepCrashLeftovers(home);
  return db;
}
