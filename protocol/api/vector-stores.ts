/** `/v1/vector_stores` and their files: the knowledge a model answers from. */
import { z } from "@hono/zod-openapi";
import {
  SEARCH_MODES,
  VECTOR_STORE_FILE_ERRORS,
  VECTOR_STORE_FILE_STATUSES,
} from "../knowledge.ts";
import { listOf, seconds } from "./shared.ts";

const FileCounts = z.object({
  in_progress: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  total: z.number().int(),
});

const StaticChunking = z.object({
  type: z.literal("static"),
  static: z.object({
    max_chunk_size_tokens: z.number().int().min(25).max(4096),
    chunk_overlap_tokens: z.number().int().min(0),
  }),
});
const ChunkingIn = z.union([z.object({ type: z.literal("auto") }), StaticChunking]);

export const VectorStoreObject = z
  .object({
    id: z.string(),
    object: z.literal("vector_store"),
    created_at: seconds,
    name: z.string(),
    usage_bytes: z.number().int(),
    file_counts: FileCounts,
    status: z.enum(["expired", "in_progress", "completed"]),
    expires_after: z.null(),
    expires_at: z.null(),
    last_active_at: seconds.nullable(),
    metadata: z.record(z.string(), z.string()).nullable(),
    tailor: z.object({
      embedding_model: z.string(),
      dimensions: z.number().int().nullable(),
      /** Chunk size and overlap, in characters. */
      chunk_size: z.number().int(),
      chunk_overlap: z.number().int(),
    }),
  })
  .openapi("VectorStore");

export const VectorStoreList = listOf(VectorStoreObject).openapi("VectorStoreList");

export const CreateVectorStoreRequest = z
  .object({
    name: z.string().min(1).max(200).optional(),
    file_ids: z.array(z.string()).max(500).optional(),
    chunking_strategy: ChunkingIn.optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    expires_after: z.unknown().optional(),
    /** Tailor: any sentence-transformers model by name or folder (default all-minilm-l6-v2). */
    tailor: z.object({ embedding_model: z.string().min(1).optional() }).optional(),
  })
  .openapi("CreateVectorStoreRequest");

export const UpdateVectorStoreRequest = z
  .object({
    name: z.string().min(1).max(200).nullable().optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    expires_after: z.unknown().optional(),
  })
  .openapi("UpdateVectorStoreRequest");

export const VectorStoreDeleted = z
  .object({ id: z.string(), object: z.literal("vector_store.deleted"), deleted: z.boolean() })
  .openapi("VectorStoreDeleted");

export const VectorStoreFileObject = z
  .object({
    id: z.string(),
    object: z.literal("vector_store.file"),
    usage_bytes: z.number().int(),
    created_at: seconds,
    vector_store_id: z.string(),
    status: z.enum(VECTOR_STORE_FILE_STATUSES),
    last_error: z
      .object({
        code: z.enum(VECTOR_STORE_FILE_ERRORS),
        message: z.string(),
      })
      .nullable(),
    chunking_strategy: StaticChunking,
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable(),
    tailor: z.object({
      filename: z.string(),
      /** Pages (PDF) or sections read. */
      pages: z.number().int(),
      chunks: z.number().int(),
    }),
  })
  .openapi("VectorStoreFile");

export const VectorStoreFileList = listOf(VectorStoreFileObject).openapi("VectorStoreFileList");

export const CreateVectorStoreFileRequest = z
  .object({
    file_id: z.string().min(1),
    chunking_strategy: ChunkingIn.optional(),
    attributes: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .nullable()
      .optional(),
  })
  .openapi("CreateVectorStoreFileRequest");

export const VectorStoreFileDeleted = z
  .object({ id: z.string(), object: z.literal("vector_store.file.deleted"), deleted: z.boolean() })
  .openapi("VectorStoreFileDeleted");

const ChunkLocation = z.object({
  /** The chunk's position in its file, from 0. */
  chunk: z.number().int(),
  page: z.number().int().nullable(),
  section: z.string().nullable(),
  location: z.string(),
});

export const VectorStoreFileContent = z
  .object({
    object: z.literal("vector_store.file_content.page"),
    data: z.array(z.object({ type: z.literal("text"), text: z.string(), tailor: ChunkLocation })),
    has_more: z.boolean(),
    next_page: z.string().nullable(),
  })
  .openapi("VectorStoreFileContentPage");

export const VectorStoreSearchRequest = z
  .object({
    query: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    max_num_results: z.number().int().min(1).max(50).optional(),
    filters: z.unknown().optional(),
    ranking_options: z
      .object({
        ranker: z.string().optional(),
        score_threshold: z.number().min(0).max(1).optional(),
      })
      .optional(),
    rewrite_query: z.boolean().optional(),
    /** Tailor: hybrid (default), vector (embeddings only) or keyword (full text only). */
    tailor: z.object({ mode: z.enum(SEARCH_MODES).optional() }).optional(),
  })
  .openapi("VectorStoreSearchRequest");

export const VectorStoreSearchResults = z
  .object({
    object: z.literal("vector_store.search_results.page"),
    search_query: z.array(z.string()),
    data: z.array(
      z.object({
        file_id: z.string(),
        filename: z.string(),
        score: z.number(),
        attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable(),
        content: z.array(z.object({ type: z.literal("text"), text: z.string() })),
        tailor: ChunkLocation.extend({
          similarity: z.number(),
          vector_rank: z.number().int().nullable(),
          keyword_rank: z.number().int().nullable(),
        }),
      }),
    ),
    has_more: z.boolean(),
    next_page: z.string().nullable(),
  })
  .openapi("VectorStoreSearchResultsPage");
