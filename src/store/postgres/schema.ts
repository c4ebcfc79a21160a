/**
 * Postgres' schema: the SQLite migrations' tables (../db.ts) in Postgres types. Times in milliseconds
 * and counts are BIGINT (read back as numbers), flags stay 0/1 integers as in SQLite, so that rows
 * read the same from either store. Applied in order, each in one transaction under an advisory lock,
 * so that workers starting together on several machines migrate once.
 */
import type { PostgresDb } from "./db.ts";
import { ANSWERS_PG } from "./migrations/answers.ts";
import { ASSISTANTS_PG } from "./migrations/assistants.ts";
import { KNOWLEDGE_PG } from "./migrations/knowledge.ts";
import { REVIEW_PG } from "./migrations/review.ts";

export const PG_MIGRATIONS: readonly string[] = [
  // the job queue: jobs, their events and checkpoints, and the workers that run them
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     started_at BIGINT,
     finished_at BIGINT,
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
     lease_expires_ms BIGINT,
     engine_pid INTEGER
   );
   CREATE INDEX jobs_queue ON jobs(status, created_at);
   CREATE INDEX jobs_model_name ON jobs(model_name, created_at);
   CREATE TABLE job_events (
     seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
     created_at BIGINT NOT NULL,
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
     epoch DOUBLE PRECISION NOT NULL,
     path TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     train_loss DOUBLE PRECISION,
     val_loss DOUBLE PRECISION,
     UNIQUE (job_id, step)
   );
   CREATE TABLE workers (
     id TEXT PRIMARY KEY,
     pid INTEGER NOT NULL,
     host TEXT NOT NULL,
     started_at BIGINT NOT NULL,
     heartbeat_ms BIGINT NOT NULL
   );`,
  // datasets (their examples are blobs under the home, by hash) and uploaded files
  `CREATE TABLE datasets (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     source_file TEXT NOT NULL,
     train_sha256 TEXT NOT NULL,
     train_examples INTEGER NOT NULL,
     val_sha256 TEXT,
     val_examples INTEGER NOT NULL DEFAULT 0,
     redacted INTEGER NOT NULL DEFAULT 0,
     redaction_json TEXT,
     report_json TEXT NOT NULL
   );
   CREATE INDEX datasets_name ON datasets(name, created_at);
   CREATE TABLE files (
     id TEXT PRIMARY KEY,
     purpose TEXT NOT NULL,
     filename TEXT NOT NULL,
     bytes BIGINT NOT NULL,
     created_at BIGINT NOT NULL,
     owner TEXT,
     sha256 TEXT NOT NULL,
     status TEXT NOT NULL,
     status_details TEXT,
     dataset_id TEXT,
     report_json TEXT
   );
   CREATE INDEX files_owner ON files(owner, created_at);`,
  // API keys (their hashes), the audit log, and which models are shared
  `CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     owner TEXT NOT NULL,
     role TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,
     prefix TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     last_used_at BIGINT,
     revoked_at BIGINT
   );
   CREATE TABLE audit_log (
     seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     at_ms BIGINT NOT NULL,
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
  // moderation policies, what they are attached to, and the flags their checks raised
  `CREATE TABLE moderation_policies (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
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
     seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     created_at BIGINT NOT NULL,
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
  // assistants, their versions and conversations
  ASSISTANTS_PG,
  // stored responses, model names and their versions, stored chat completions
  ANSWERS_PG,
  // the review queue, regression examples, usage and exports
  REVIEW_PG,
  // knowledge bases: files, chunks, full text (tsvector) and embeddings
  KNOWLEDGE_PG,
  // what each worker offers, the jobs that need a GPU, and the machines a job spans
  `ALTER TABLE jobs ADD COLUMN needs_gpu INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE workers ADD COLUMN cpus INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE workers ADD COLUMN memory_mb BIGINT NOT NULL DEFAULT 0;
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
     lease_expires_ms BIGINT NOT NULL,
     PRIMARY KEY (job_id, node_rank)
   );`,
];

/** Brings the database to the last migration; returns the version it is at. */
export function migratePostgres(db: PostgresDb): number {
  db.query("CREATE TABLE IF NOT EXISTS tailor_schema (version INTEGER NOT NULL)");
  return db.transaction(() => {
    db.query("SELECT pg_advisory_xact_lock(7283190)"); // one migrating process at a time
    const row = db.query("SELECT MAX(version) AS v FROM tailor_schema").rows[0];
    let version = Number(row?.v ?? 0);
    for (; version < PG_MIGRATIONS.length; version++) {
      db.query(PG_MIGRATIONS[version] as string);
      db.query("INSERT INTO tailor_schema (version) VALUES ($1)", [version + 1]);
    }
    return version;
  })();
}
