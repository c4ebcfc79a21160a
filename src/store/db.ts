import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

/** Schema changes in order; a database is at the version of the last one it has applied. */
const MIGRATIONS: string[] = [
  `CREATE TABLE datasets (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     source_file TEXT NOT NULL,
     train_sha256 TEXT NOT NULL,
     train_examples INTEGER NOT NULL,
     val_sha256 TEXT,
     val_examples INTEGER NOT NULL DEFAULT 0,
     redacted INTEGER NOT NULL DEFAULT 0,
     redaction_json TEXT,
     report_json TEXT NOT NULL
   );
   CREATE INDEX datasets_name ON datasets(name, created_at);`,
];

/** Opens (creating if needed) TAILOR_HOME/tailor.db in WAL mode and brings its schema up to date. */
export function openDb(home: string): Db {
  mkdirSync(home, { recursive: true });
  const db = new Database(join(home, "tailor.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  const version = db.pragma("user_version", { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] ?? "");
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
