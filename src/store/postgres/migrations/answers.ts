/**
 * Postgres' tables for stored `/v1/responses`, model names (their versions and history) and chat
 * completions kept for feedback (see ../schema.ts; SQLite's are in ../../db.ts). `stored_completions`
 * has a `rowid` column of its own, as SQLite gives every table one, so that its pages run on the
 * same SQL (created, then the order rows were saved in).
 */
export const ANSWERS_PG = `CREATE TABLE responses (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     key_id TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     previous_id TEXT,
     model TEXT NOT NULL,
     assistant_id TEXT,
     conversation_id TEXT,
     messages_json TEXT NOT NULL,
     response_json TEXT NOT NULL
   );
   CREATE INDEX responses_owner ON responses(owner, created_at);
   CREATE TABLE model_names (
     name TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     current INTEGER NOT NULL,
     store_completions INTEGER NOT NULL DEFAULT 0,
     retention_days INTEGER NOT NULL DEFAULT 30
   );
   CREATE TABLE model_name_versions (
     name TEXT NOT NULL REFERENCES model_names(name) ON DELETE CASCADE,
     version INTEGER NOT NULL,
     model TEXT NOT NULL,
     added_at BIGINT NOT NULL,
     added_by TEXT NOT NULL,
     origin TEXT NOT NULL,
     job_id TEXT,
     gate_json TEXT,
     PRIMARY KEY (name, version)
   );
   CREATE TABLE model_name_events (
     seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     name TEXT NOT NULL,
     action TEXT NOT NULL,
     from_version INTEGER,
     to_version INTEGER,
     who TEXT NOT NULL,
     why TEXT NOT NULL,
     at BIGINT NOT NULL
   );
   CREATE INDEX model_name_events_name ON model_name_events(name, seq);
   CREATE TABLE stored_completions (
     rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     key_id TEXT,
     model TEXT NOT NULL,
     resolved_model TEXT NOT NULL,
     created BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     messages_json TEXT NOT NULL,
     answer TEXT NOT NULL,
     finish_reason TEXT NOT NULL,
     metadata_json TEXT NOT NULL DEFAULT '{}',
     feedback_json TEXT
   );
   CREATE INDEX stored_completions_owner ON stored_completions(owner, created, rowid);
   CREATE INDEX stored_completions_expiry ON stored_completions(expires_at);`;
