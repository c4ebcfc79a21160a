/**
 * Postgres' tables for knowledge bases (see ../schema.ts; SQLite's are in ../../db.ts): vector stores,
 * their files and chunks. The embeddings are BYTEA (float32, as SQLite's BLOB) and searched by an
 * exact scan, or by pgvector's HNSW index in a table per embedding size when the server has the
 * extension (src/knowledge/pgvector.ts, made there, not here: a server without it still migrates). The full text is a generated
 * `tsvector` column in place of SQLite's FTS5 table, built as FTS5's tokenizer builds its index
 * (`porter unicode61`): words split at anything that is not a letter or digit, lowercased and stemmed,
 * with no stop words (the search drops its own). `kb_search` is that configuration: English stems
 * (snowball) without the English stop words.
 */
export const KNOWLEDGE_PG = `CREATE TABLE vector_stores (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     owner TEXT,
     created_at BIGINT NOT NULL,
     last_active_at BIGINT NOT NULL,
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
     bytes BIGINT NOT NULL,
     created_at BIGINT NOT NULL,
     status TEXT NOT NULL,
     error_code TEXT,
     error_message TEXT,
     pages INTEGER NOT NULL DEFAULT 0,
     chunks INTEGER NOT NULL DEFAULT 0,
     usage_bytes BIGINT NOT NULL DEFAULT 0,
     PRIMARY KEY (vector_store_id, file_id)
   );
   CREATE INDEX vector_store_files_sha ON vector_store_files(vector_store_id, sha256);
   CREATE TEXT SEARCH DICTIONARY kb_stem (TEMPLATE = snowball, LANGUAGE = english);
   CREATE TEXT SEARCH CONFIGURATION kb_search (COPY = english);
   ALTER TEXT SEARCH CONFIGURATION kb_search
     ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH kb_stem;
   CREATE TABLE kb_chunks (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     vector_store_id TEXT NOT NULL,
     file_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     page INTEGER,
     heading TEXT,
     text TEXT NOT NULL,
     embedding BYTEA NOT NULL,
     fts tsvector GENERATED ALWAYS AS (
       to_tsvector('kb_search',
         regexp_replace(COALESCE(heading, '') || ' ' || text, '[[:punct:][:space:]]+', ' ', 'g'))
     ) STORED,
     FOREIGN KEY (vector_store_id, file_id)
       REFERENCES vector_store_files(vector_store_id, file_id) ON DELETE CASCADE
   );
   CREATE INDEX kb_chunks_file ON kb_chunks(vector_store_id, file_id, seq);
   CREATE INDEX kb_chunks_fts ON kb_chunks USING GIN (fts);`;
