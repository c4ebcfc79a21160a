/**
 * Postgres' tables for the review queue (and which dataset version took each item), regression
 * examples, the usage log and exports (see ../schema.ts; SQLite's are in ../../db.ts). Times are in
 * seconds here. `regression_examples` and `exports` have a `rowid` column of their own, as SQLite
 * gives every table one: their lists order by it among rows made in the same second.
 */
export const REVIEW_PG = `CREATE TABLE review_items (
     seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     created_at BIGINT NOT NULL,
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
     decided_at BIGINT,
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
     pinned_at BIGINT NOT NULL,
     note TEXT,
     rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
   );
   CREATE INDEX regression_examples_name ON regression_examples(name, pinned_at, rowid);
   CREATE TABLE dataset_lineage (
     dataset_id TEXT NOT NULL,
     review_item_id TEXT NOT NULL,
     accepted_by TEXT NOT NULL,
     PRIMARY KEY (dataset_id, review_item_id)
   );
   CREATE TABLE model_usage (
     seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     at BIGINT NOT NULL,
     model TEXT NOT NULL,
     resolved_model TEXT NOT NULL,
     channel TEXT NOT NULL,
     answer_chars BIGINT,
     question TEXT,
     drift DOUBLE PRECISION
   );
   CREATE INDEX model_usage_model ON model_usage(model, at);
   CREATE INDEX model_usage_resolved ON model_usage(resolved_model, at);
   CREATE TABLE exports (
     id TEXT PRIMARY KEY,
     model TEXT NOT NULL,
     owner TEXT NOT NULL,
     format TEXT NOT NULL,
     quantization TEXT,
     status TEXT NOT NULL,
     error TEXT,
     path TEXT,
     files_json TEXT,
     bytes BIGINT,
     created_at BIGINT NOT NULL,
     finished_at BIGINT,
     rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
   );
   CREATE INDEX exports_model ON exports(model, created_at);`;
