import { resolve } from "node:path";
import type { Command } from "commander";
import { tailorHome } from "../../models/index.ts";
import { copyShared } from "../../store/copy-files.ts";
import { copyToPostgres } from "../../store/copy-to-postgres.ts";
import { databaseUrl, openDb, redactUrl } from "../../store/index.ts";
import { PostgresDb } from "../../store/postgres/db.ts";
import { migratePostgres } from "../../store/postgres/schema.ts";
import { printJson, say } from "../output.ts";
import { CountProgress } from "../progress.ts";

interface MigrateFlags {
  to: string;
  shared?: string;
  json?: boolean;
}

/** `tailor migrate --to postgres://… [--shared DIR]`: this home's store into Postgres. */
export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description(
      "copy this home's store (TAILOR_HOME/tailor.db) into an empty Postgres database, checked by counts and hashes; --shared also copies its files for workers on several machines",
    )
    .requiredOption("--to <url>", "the Postgres database: postgres://user:password@host:5432/db")
    .option(
      "--shared <dir>",
      "also copy the examples, models and training runs into this folder (TAILOR_SHARED_DIR)",
    )
    .option("--json", "print JSON")
    .action((flags: MigrateFlags) => migrate(flags));
}

function migrate(flags: MigrateFlags): void {
  const home = tailorHome();
  const sqlite = openDb(home);
  let pg: PostgresDb | null = null;
  try {
    pg = new PostgresDb(databaseUrl({ TAILOR_DATABASE_URL: flags.to }, "--to") ?? "");
    migratePostgres(pg);
    if (!flags.json) say(`copying ${home}/tailor.db into ${redactUrl(flags.to)}…`);
    const tables = copyToPostgres(sqlite, pg, (t) => {
      if (!flags.json && t.rows > 0)
        say(`  ${t.table}: ${t.rows} row(s), sha256 ${t.sha256.slice(0, 12)} on both sides`);
    });
    const rows = tables.reduce((n, t) => n + t.rows, 0);
    let files: { files: number; bytes: number } | null = null;
    if (flags.shared) {
      const shared = resolve(flags.shared);
      let bar: CountProgress | null = null;
      files = copyShared(home, shared, (done, total) => {
        if (flags.json) return;
        bar ??= new CountProgress("copying files", total);
        bar.update(done);
        if (done === total) bar.stop();
      });
    }
    if (flags.json) {
      printJson({ tables, rows, files });
      return;
    }
    say(
      `copied ${rows} row(s) in ${tables.length} tables; every table's count and hash match${files ? `; ${files.files} file(s), ${(files.bytes / 2 ** 20).toFixed(1)} MiB, copied and checked by sha256` : ""}`,
    );
    say(
      `use it: TAILOR_DATABASE_URL=${redactUrl(flags.to)}${flags.shared ? ` TAILOR_SHARED_DIR=${resolve(flags.shared)}` : ""} (on every machine; this home's tailor.db is left as it was)`,
    );
  } finally {
    pg?.close();
    sqlite.close();
  }
}
