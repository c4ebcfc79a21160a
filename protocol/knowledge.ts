/**
 * Vector stores (the user's documents, for retrieval): a file's indexing status, why indexing
 * failed, and the search modes, defined once here for the knowledge domain, the CLI and the API.
 */

/** A file in a vector store, as OpenAI names the states: indexing, indexed, stopped, failed. */
export const VECTOR_STORE_FILE_STATUSES = [
  "in_progress",
  "completed",
  "cancelled",
  "failed",
] as const;
export type VectorStoreFileStatus = (typeof VECTOR_STORE_FILE_STATUSES)[number];

/** Why a file could not be indexed, in OpenAI's `last_error.code` words. */
export const VECTOR_STORE_FILE_ERRORS = [
  "server_error",
  "unsupported_file",
  "invalid_file",
] as const;
export type VectorStoreFileError = (typeof VECTOR_STORE_FILE_ERRORS)[number];

/** hybrid: embeddings and full text, fused by rank; vector: embeddings only; keyword: full text only. */
export const SEARCH_MODES = ["hybrid", "vector", "keyword"] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];
