/**
 * Postgres' tables for assistants (see ../schema.ts): each change a new version, the publication on
 * the assistant's row; conversations with their messages. `rowid` stands in for SQLite's implicit
 * one, which the stores order and page by among rows made in the same second.
 */
export const ASSISTANTS_PG = `CREATE TABLE assistants (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     version INTEGER NOT NULL,
     published INTEGER NOT NULL DEFAULT 0,
     slug TEXT UNIQUE,
     access TEXT NOT NULL DEFAULT 'public',
     passcode_hash TEXT,
     visitor_rpm INTEGER NOT NULL DEFAULT 10,
     published_at BIGINT,
     rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
   );
   CREATE INDEX assistants_owner ON assistants(owner, created_at);
   CREATE TABLE assistant_versions (
     assistant_id TEXT NOT NULL REFERENCES assistants(id) ON DELETE CASCADE,
     version INTEGER NOT NULL,
     created_at BIGINT NOT NULL,
     author TEXT NOT NULL,
     settings_json TEXT NOT NULL,
     PRIMARY KEY (assistant_id, version)
   );
   CREATE TABLE conversations (
     id TEXT PRIMARY KEY,
     assistant_id TEXT NOT NULL REFERENCES assistants(id) ON DELETE CASCADE,
     channel TEXT NOT NULL,
     visitor TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     title TEXT NOT NULL DEFAULT '',
     redacted INTEGER NOT NULL DEFAULT 0,
     rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
   );
   CREATE INDEX conversations_assistant ON conversations(assistant_id, updated_at);
   CREATE INDEX conversations_expiry ON conversations(expires_at);
   CREATE TABLE conversation_messages (
     seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     role TEXT NOT NULL,
     content TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     version INTEGER,
     sources_json TEXT NOT NULL DEFAULT '[]',
     calls_json TEXT NOT NULL DEFAULT '[]',
     finish_reason TEXT,
     feedback_json TEXT
   );
   CREATE INDEX conversation_messages_conversation ON conversation_messages(conversation_id, seq);`;
