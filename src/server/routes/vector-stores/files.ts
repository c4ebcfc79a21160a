import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  CreateVectorStoreFileRequest,
  Pagination,
  VectorStoreFileContent,
  VectorStoreFileDeleted,
  VectorStoreFileList,
  VectorStoreFileObject,
} from "../../../../protocol/api/index.ts";
import { TailorError } from "../../../errors/index.ts";
import {
  type ChunkingOptions,
  describeLocation,
  type StoreFile,
  type VectorStore,
} from "../../../knowledge/index.ts";
import { type AppEnv, ownerScope, type ServerContext } from "../../context.ts";
import { listOf, pageAfter } from "../list.ts";
import { errorResponses, jsonResponses } from "../openapi.ts";
import { ownedStore, StoreParam } from "./access.ts";

const errors = errorResponses(400, 404);
const json = <T extends z.ZodTypeAny>(schema: T, description: string) =>
  jsonResponses(schema, description, errors);
const FileParam = StoreParam.extend({
  file_id: z.string().openapi({ param: { name: "file_id", in: "path" } }),
});

/** Characters per token for OpenAI's token-denominated chunk sizes (English averages about 4). */
const CHARS_PER_TOKEN = 4;

export function chunkingFrom(
  c:
    | { type: "auto" }
    | { type: "static"; static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } }
    | undefined,
): Partial<ChunkingOptions> | undefined {
  if (!c || c.type === "auto") return undefined;
  return {
    maxChars: c.static.max_chunk_size_tokens * CHARS_PER_TOKEN,
    overlapChars: c.static.chunk_overlap_tokens * CHARS_PER_TOKEN,
  };
}

export function storeFileView(f: StoreFile, s: VectorStore): z.infer<typeof VectorStoreFileObject> {
  const code = f.error?.code;
  return {
    id: f.file_id,
    object: "vector_store.file",
    usage_bytes: f.usage_bytes,
    created_at: f.created_at,
    vector_store_id: f.vector_store_id,
    status: f.status,
    last_error: f.error
      ? {
          code: code === "invalid_file" || code === "unsupported_file" ? code : "server_error",
          message: f.error.message,
        }
      : null,
    chunking_strategy: {
      type: "static",
      static: {
        max_chunk_size_tokens: Math.round(s.chunk_size / CHARS_PER_TOKEN),
        chunk_overlap_tokens: Math.round(s.chunk_overlap / CHARS_PER_TOKEN),
      },
    },
    attributes: null,
    tailor: { filename: f.filename, pages: f.pages, chunks: f.chunks },
  };
}

export function registerVectorStoreFiles(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const kb = ctx.knowledge;
  const storeFile = (s: VectorStore, fileId: string): StoreFile => {
    const f = kb.store.file(s.id, fileId);
    if (!f)
      throw new TailorError({
        code: "not_found",
        message: `${fileId} is not in vector store ${s.id}`,
        details: { field: "file_id" },
      });
    return f;
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/vector_stores/{vector_store_id}/files",
      summary:
        "Add an uploaded file (purpose=assistants: .txt, .md, .html, .pdf, .docx) to a vector store; it is indexed in the background (status in_progress, then completed or failed)",
      request: {
        params: StoreParam,
        body: {
          content: { "application/json": { schema: CreateVectorStoreFileRequest } },
          required: true,
        },
      },
      responses: json(VectorStoreFileObject, "the file in the store"),
    }),
    (c) => {
      const p = c.get("principal");
      const s = ownedStore(ctx, p, c.req.valid("param").vector_store_id);
      const req = c.req.valid("json");
      if (req.chunking_strategy && req.chunking_strategy.type !== "auto")
        throw new TailorError({
          code: "invalid_argument",
          message:
            "chunking is set per vector store: give chunking_strategy when creating the store",
          details: { field: "chunking_strategy" },
        });
      const file = ctx.files.get(req.file_id, ownerScope(p));
      if (file.purpose !== "assistants" && file.purpose !== "user_data")
        throw new TailorError({
          code: "invalid_argument",
          message: `${file.id} was uploaded with purpose ${file.purpose}; upload documents with purpose=assistants`,
          details: { field: "file_id" },
        });
      return c.json(storeFileView(kb.enqueue(s.id, file), s), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/vector_stores/{vector_store_id}/files",
      summary: "The files of a vector store, newest first",
      request: {
        params: StoreParam,
        query: Pagination.extend({
          filter: z.enum(["in_progress", "completed", "failed", "cancelled"]).optional(),
        }),
      },
      responses: json(VectorStoreFileList, "files"),
    }),
    (c) => {
      const s = ownedStore(ctx, c.get("principal"), c.req.valid("param").vector_store_id);
      const q = c.req.valid("query");
      const all = kb.store.files(s.id, q.filter ? { status: q.filter } : {});
      const { items, hasMore } = pageAfter(all, q, (f) => f.file_id);
      return c.json(
        listOf(
          items.map((f) => storeFileView(f, s)),
          hasMore,
        ),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/vector_stores/{vector_store_id}/files/{file_id}",
      summary: "A file of a vector store (poll it until its status is completed or failed)",
      request: { params: FileParam },
      responses: json(VectorStoreFileObject, "the file in the store"),
    }),
    (c) => {
      const { vector_store_id, file_id } = c.req.valid("param");
      const s = ownedStore(ctx, c.get("principal"), vector_store_id);
      return c.json(storeFileView(storeFile(s, file_id), s), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/vector_stores/{vector_store_id}/files/{file_id}/content",
      summary: "The chunks of a file in a vector store, in order, with their page or section",
      request: {
        params: FileParam,
        query: z.object({
          offset: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(1000).default(200),
        }),
      },
      responses: json(VectorStoreFileContent, "chunks"),
    }),
    (c) => {
      const { vector_store_id, file_id } = c.req.valid("param");
      const q = c.req.valid("query");
      const s = ownedStore(ctx, c.get("principal"), vector_store_id);
      const f = storeFile(s, file_id);
      const chunks = kb.store.chunks(s.id, f.file_id, { offset: q.offset, limit: q.limit + 1 });
      return c.json(
        {
          object: "vector_store.file_content.page" as const,
          data: chunks.slice(0, q.limit).map((ch) => ({
            type: "text" as const,
            text: ch.text,
            tailor: {
              chunk: ch.seq,
              page: ch.page,
              section: ch.heading,
              location: describeLocation(ch),
            },
          })),
          has_more: chunks.length > q.limit,
          next_page: chunks.length > q.limit ? String(q.offset + q.limit) : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/vector_stores/{vector_store_id}/files/{file_id}",
      summary: "Remove a file from a vector store with its chunks and vectors (the upload stays)",
      request: { params: FileParam },
      responses: json(VectorStoreFileDeleted, "removed"),
    }),
    (c) => {
      const { vector_store_id, file_id } = c.req.valid("param");
      const s = ownedStore(ctx, c.get("principal"), vector_store_id);
      storeFile(s, file_id);
      kb.store.removeFile(s.id, file_id);
      return c.json(
        { id: file_id, object: "vector_store.file.deleted" as const, deleted: true },
        200,
      );
    },
  );
}
