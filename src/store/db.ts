import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { sweepCrashLeftovers } from "./temp.ts";
import { pauseForTest } from "./test-pause.ts";

export type Db = Database.Database;

/**
 * Schema changes in order; a database is at the version of the last one it has applied. Each is
 * applied in one transaction with its version number, so a crash mid-way leaves the version before.
 */
export const MIGRATIONS: readonly string[] = [
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
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER,
     owner TEXT,
     base TEXT NOT NULL,
     model_name TEXT NOT NULL,
     training_file TEXT NOT NULL,
     validation_file TEXT,
     spec_json TEXT NOT NULL,
     error_code TEXT,
     error_message TEXT,
     fine_tuned_model TEXT,
     result_json TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     cancel_requested INTEGER NOT NULL DEFAULT 0,
     lease_owner TEXT,
     lease_expires_ms INTEGER,
     engine_pid INTEGER
   );
   CREATE INDEX jobs_queue ON jobs(status, created_at);
   CREATE TABLE job_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
     created_at INTEGER NOT NULL,
     level TEXT NOT NULL,
     type TEXT NOT NULL,
     message TEXT NOT NULL,
     step INTEGER,
     data_json TEXT NOT NULL
   );
   CREATE INDEX job_events_job ON job_events(job_id, seq);
   CREATE TABLE job_checkpoints (
     id TEXT PRIMARY KEY,
     job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
     step INTEGER NOT NULL,
     epoch REAL NOT NULL,
     path TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     train_loss REAL,
     val_loss REAL,
     UNIQUE (job_id, step)
   );
   CREATE TABLE workers (
     id TEXT PRIMARY KEY,
     pid INTEGER NOT NULL,
     host TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     heartbeat_ms INTEGER NOT NULL
   );`,
  `CREATE TABLE files (
     id TEXT PRIMARY KEY,
     purpose TEXT NOT NULL,
     filename TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     owner TEXT,
     sha256 TEXT NOT NULL,
     status TEXT NOT NULL,
     status_details TEXT,
     dataset_id TEXT,
     report_json TEXT
   );
   CREATE INDEX files_owner ON files(owner, created_at);
   CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     owner TEXT NOT NULL,
     role TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,
     prefix TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     last_used_at INTEGER,
     revoked_at INTEGER
   );
   CREATE TABLE audit_log (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at_ms INTEGER NOT NULL,
     key_id TEXT,
     owner TEXT,
     role TEXT,
     action TEXT NOT NULL,
     target TEXT,
     result TEXT NOT NULL,
     status INTEGER,
     client TEXT,
     details_json TEXT
   );
   CREATE TABLE model_access (
     name TEXT PRIMARY KEY,
     owner TEXT,
     shared INTEGER NOT NULL DEFAULT 0
   );`,
  // Knowledge: vector stores of documents, their chunks and a full-text index over them. The vector
  // index (sqlite-vec's vec0 tables, one per dimension) is made by src/knowledge when it loads the
  // extension: a process without it must still be able to open this database.
  `CREATE TABLE vector_stores (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     owner TEXT,
     created_at INTEGER NOT NULL,
     last_active_at INTEGER NOT NULL,
     embedding_model TEXT NOT NULL,
     dimensions INTEGER,
     chunk_size INTEGER NOT NULL,
     chunk_overlap INTEGER NOT NULL,
     metadata_json TEXT
   );
   CREATE INDEX vector_stores_owner ON vector_stores(owner, created_at);
   CREATE TABLE vector_store_files (
     vector_store_id TEXT NOT NULL REFERENCES vector_stores(id) ON DELETE CASCADE,
     file_id TEXT NOT NULL,
     filename TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     status TEXT NOT NULL,
     error_code TEXT,
     error_message TEXT,
     pages INTEGER NOT NULL DEFAULT 0,
     chunks INTEGER NOT NULL DEFAULT 0,
     usage_bytes INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (vector_store_id, file_id)
   );
   CREATE INDEX vector_store_files_sha ON vector_store_files(vector_store_id, sha256);
   CREATE TABLE kb_chunks (
     id INTEGER PRIMARY KEY,
     vector_store_id TEXT NOT NULL,
     file_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     page INTEGER,
     heading TEXT,
     text TEXT NOT NULL,
     embedding BLOB NOT NULL,
     vec_indexed INTEGER NOT NULL DEFAULT 0,
     FOREIGN KEY (vector_store_id, file_id)
       REFERENCES vector_store_files(vector_store_id, file_id) ON DELETE CASCADE
   );
   CREATE INDEX kb_chunks_file ON kb_chunks(vector_store_id, file_id, seq);
   CREATE INDEX kb_chunks_unindexed ON kb_chunks(vector_store_id) WHERE vec_indexed = 0;
   CREATE VIRTUAL TABLE kb_chunks_fts USING fts5(
     text, heading, content='kb_chunks', content_rowid='id',
     tokenize='porter unicode61 remove_diacritics 2'
   );
   CREATE TRIGGER kb_chunks_ai AFTER INSERT ON kb_chunks BEGIN
     INSERT INTO kb_chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
   END;
   CREATE TRIGGER kb_chunks_ad AFTER DELETE ON kb_chunks BEGIN
     INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, text, heading)
       VALUES ('delete', old.id, old.text, old.heading);
   END;`,
  // Moderation policies (the body is the policy's JSON), what they are attached to, and the flags
  // their checks raised (kept when a policy is deleted: the flag names it).
  `CREATE TABLE moderation_policies (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     body_json TEXT NOT NULL
   );
   CREATE TABLE moderation_attachments (
     policy_id TEXT NOT NULL REFERENCES moderation_policies(id) ON DELETE CASCADE,
     kind TEXT NOT NULL CHECK (kind IN ('model', 'key')),
     target TEXT NOT NULL,
     PRIMARY KEY (policy_id, kind, target)
   );
   CREATE INDEX moderation_attachments_target ON moderation_attachments(kind, target);
   CREATE TABLE moderation_flags (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL,
     policy_id TEXT,
     policy_name TEXT NOT NULL,
     stage TEXT NOT NULL,
     action TEXT NOT NULL,
     hits_json TEXT NOT NULL,
     model TEXT,
     key_id TEXT,
     owner TEXT,
     request_id TEXT,
     excerpt TEXT NOT NULL,
     text TEXT
   );
   CREATE INDEX moderation_flags_policy ON moderation_flags(policy_id, seq);
   CREATE INDEX moderation_flags_model ON moderation_flags(model, seq);
   CREATE INDEX moderation_flags_owner ON moderation_flags(owner, seq);`,
  // Assistants: each change is a new version (its settings' JSON, secret header values encrypted
  // in it), the publication on the current row; conversations with their messages (the version
  // that answered, sources, function calls, feedback); and stored `/v1/responses` (for
  // `previous_response_id`).
  `CREATE TABLE assistants (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     version INTEGER NOT NULL,
     published INTEGER NOT NULL DEFAULT 0,
     slug TEXT UNIQUE,
     access TEXT NOT NULL DEFAULT 'public',
     passcode_hash TEXT,
     visitor_rpm INTEGER NOT NULL DEFAULT 10,
     published_at INTEGER
   );
   CREATE INDEX assistants_owner ON assistants(owner, created_at);
   CREATE TABLE assistant_versions (
     assistant_id TEXT NOT NULL REFERENCES assistants(id) ON DELETE CASCADE,
     version INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     author TEXT NOT NULL,
     settings_json TEXT NOT NULL,
     PRIMARY KEY (assistant_id, version)
   );
   CREATE TABLE conversations (
     id TEXT PRIMARY KEY,
     assistant_id TEXT NOT NULL REFERENCES assistants(id) ON DELETE CASCADE,
     channel TEXT NOT NULL,
     visitor TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     title TEXT NOT NULL DEFAULT '',
     redacted INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX conversations_assistant ON conversations(assistant_id, updated_at);
   CREATE INDEX conversations_expiry ON conversations(expires_at);
   CREATE TABLE conversation_messages (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     role TEXT NOT NULL,
     content TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     version INTEGER,
     sources_json TEXT NOT NULL DEFAULT '[]',
     calls_json TEXT NOT NULL DEFAULT '[]',
     finish_reason TEXT,
     feedback_json TEXT
   );
   CREATE INDEX conversation_messages_conversation ON conversation_messages(conversation_id, seq);
   CREATE TABLE responses (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     key_id TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     previous_id TEXT,
     model TEXT NOT NULL,
     assistant_id TEXT,
     conversation_id TEXT,
     messages_json TEXT NOT NULL,
     response_json TEXT NOT NULL
   );
   CREATE INDEX responses_owner ON responses(owner, created_at);`,
  // Keeping models healthy: model names and their versions (with each change's who and why),
  // chat completions kept for feedback, the review queue (message_id '' for a completion, so one
  // item per answer), regression examples pinned to a name, which accepted items went into which
  // dataset version, and the usage the health report counts.
  `CREATE TABLE model_names (
     name TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     current INTEGER NOT NULL,
     store_completions INTEGER NOT NULL DEFAULT 0,
     retention_days INTEGER NOT NULL DEFAULT 30
   );
   CREATE TABLE model_name_versions (
     name TEXT NOT NULL REFERENCES model_names(name) ON DELETE CASCADE,
     version INTEGER NOT NULL,
     model TEXT NOT NULL,
     added_at INTEGER NOT NULL,
     added_by TEXT NOT NULL,
     origin TEXT NOT NULL,
     job_id TEXT,
     gate_json TEXT,
     PRIMARY KEY (name, version)
   );
   CREATE TABLE model_name_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     name TEXT NOT NULL,
     action TEXT NOT NULL,
     from_version INTEGER,
     to_version INTEGER,
     who TEXT NOT NULL,
     why TEXT NOT NULL,
     at INTEGER NOT NULL
   );
   CREATE INDEX model_name_events_name ON model_name_events(name, seq);
   CREATE TABLE stored_completions (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     key_id TEXT,
     model TEXT NOT NULL,
     resolved_model TEXT NOT NULL,
     created INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     messages_json TEXT NOT NULL,
     answer TEXT NOT NULL,
     finish_reason TEXT NOT NULL,
     metadata_json TEXT NOT NULL DEFAULT '{}',
     feedback_json TEXT
   );
   CREATE INDEX stored_completions_owner ON stored_completions(owner, created);
   CREATE INDEX stored_completions_expiry ON stored_completions(expires_at);
   CREATE TABLE review_items (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL,
     status TEXT NOT NULL,
     source TEXT NOT NULL,
     source_id TEXT NOT NULL,
     message_id TEXT NOT NULL DEFAULT '',
     model TEXT NOT NULL,
     resolved_model TEXT NOT NULL,
     owner TEXT NOT NULL,
     question_json TEXT NOT NULL,
     answer TEXT NOT NULL,
     feedback_json TEXT NOT NULL,
     proposed TEXT,
     final_answer TEXT,
     reviewer TEXT,
     decided_at INTEGER,
     note TEXT,
     pii_json TEXT NOT NULL DEFAULT '[]',
     redacted INTEGER NOT NULL DEFAULT 0,
     used_in TEXT,
     UNIQUE (source, source_id, message_id)
   );
   CREATE INDEX review_items_queue ON review_items(owner, status, seq);
   CREATE INDEX review_items_model ON review_items(model, status, seq);
   CREATE TABLE regression_examples (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     messages_json TEXT NOT NULL,
     expected TEXT NOT NULL,
     pinned_by TEXT NOT NULL,
     pinned_at INTEGER NOT NULL,
     note TEXT
   );
   CREATE INDEX regression_examples_name ON regression_examples(name, pinned_at);
   CREATE TABLE dataset_lineage (
     dataset_id TEXT NOT NULL,
     review_item_id TEXT NOT NULL,
     accepted_by TEXT NOT NULL,
     PRIMARY KEY (dataset_id, review_item_id)
   );
   CREATE TABLE model_usage (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     model TEXT NOT NULL,
     resolved_model TEXT NOT NULL,
     channel TEXT NOT NULL,
     answer_chars INTEGER,
     question TEXT,
     drift REAL
   );
   CREATE INDEX model_usage_model ON model_usage(model, at);
   CREATE INDEX model_usage_resolved ON model_usage(resolved_model, at);`,
  // Exports: a model written out as PEFT, merged, GGUF or for Ollama (src/exports). A row is made
  // before the work starts; one left 'running' by a crash is marked failed when the server starts.
  `CREATE TABLE exports (
     id TEXT PRIMARY KEY,
     model TEXT NOT NULL,
     owner TEXT NOT NULL,
     format TEXT NOT NULL,
     quantization TEXT,
     status TEXT NOT NULL,
     error TEXT,
     path TEXT,
     files_json TEXT,
     bytes INTEGER,
     created_at INTEGER NOT NULL,
     finished_at INTEGER
   );
   CREATE INDEX exports_model ON exports(model, created_at);`,
  // what each worker offers, the jobs that need a GPU, and the machines a job spans
  `ALTER TABLE jobs ADD COLUMN needs_gpu INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE workers ADD COLUMN cpus INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE workers ADD COLUMN memory_mb INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE workers ADD COLUMN gpus INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX workers_heartbeat ON workers(heartbeat_ms);
   ALTER TABLE jobs ADD COLUMN nodes INTEGER NOT NULL DEFAULT 1;
   CREATE TABLE job_nodes (
     job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
     node_rank INTEGER NOT NULL,
     attempt INTEGER NOT NULL,
     worker TEXT NOT NULL,
     host TEXT NOT NULL,
     address TEXT,
     port INTEGER,
     lease_expires_ms INTEGER NOT NULL,
     PRIMARY KEY (job_id, node_rank)
   );`,
];

/**
 * Opens (creating if needed) TAILOR_HOME/tailor.db in WAL mode, brings its schema up to date and
 * removes what writers killed mid-write left in the home (./temp.ts).
 */
export function openDb(home: string): Db {
  mkdirSync(home, { recursive: true });
  const db = new Database(join(home, "tailor.db"));
  db.pragma("busy_timeout = 5000"); // first: another process may hold the lock already
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL"); // an acknowledged write survives a power loss too
  db.pragma("foreign_keys = ON");
  // Each step re-reads the version under the write lock: processes opening a new database together
  // (a server and a worker) apply every migration once.
  for (;;) {
    const applied = db
      .transaction(() => {
        const v = db.pragma("user_version", { simple: true }) as number;
        if (v >= MIGRATIONS.length) return false;
        db.exec(MIGRATIONS[v] ?? "");
        db.pragma(`user_version = ${v + 1}`);
        pauseForTest(`migration-${v + 1}`);
        return true;
      })
      .immediate();
    if (!applied) break;
  }
  sweepCrashLeftovers(home);
  return db;
}
