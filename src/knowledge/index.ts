export { type ChunkingOptions, chunkSections, DEFAULT_CHUNKING } from "./chunk.ts";
export { DEFAULT_EMBEDDING_MODEL, EMBED_BATCH, type Embedder } from "./embed.ts";
export {
  type Citation,
  DEFAULT_MIN_SIMILARITY,
  type Grounding,
  type GroundingOptions,
  groundChat,
} from "./grounding.ts";
export {
  DOCUMENT_FORMATS,
  type DocumentFormat,
  detectFormat,
  parseDocument,
} from "./parse/index.ts";
export {
  ftsQuery,
  SEARCH_MODES,
  type SearchHit,
  type SearchMode,
  type SearchOptions,
} from "./search.ts";
export {
  type AddOutcome,
  type AddProgress,
  KnowledgeBase,
  type KnowledgeOptions,
} from "./service.ts";
export {
  type FileStatus,
  KnowledgeStore,
  type StoredChunk,
  type StoreFile,
  type VectorStore,
} from "./store.ts";
export { type Chunk, describeLocation, type Section } from "./types.ts";
