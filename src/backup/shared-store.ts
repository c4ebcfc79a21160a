import { TailorError } from "../errors/index.ts";
import { databaseUrl } from "../store/index.ts";

/**
 * A backup is of one home's SQLite file and blobs. A store on Postgres is backed up by Postgres' own
 * tools, and its blobs and models by copying TAILOR_SHARED_DIR.
 */
export function refuseSharedStore(): void {
  if (databaseUrl() || process.env.TAILOR_SHARED_DIR?.trim())
    throw new TailorError({
      code: "invalid_argument",
      message:
        "this home's store is on Postgres (TAILOR_DATABASE_URL) or shares its files (TAILOR_SHARED_DIR): back up the database with pg_dump and copy TAILOR_SHARED_DIR; `tailor backup` and `tailor restore` are for a home on one machine",
      details: { field: "TAILOR_DATABASE_URL" },
    });
}
