import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import {
  CreateVectorStoreRequest,
  Pagination,
  UpdateVectorStoreRequest,
  VectorStoreDeleted,
  VectorStoreList,
  VectorStoreObject,
  VectorStoreSearchRequest,
  VectorStoreSearchResults,
} from "../../../../protocol/api/index.ts";
import { TailorError } from "../../../errors/index.ts";
import { describeLocation, type VectorStore } from "../../../knowledge/index.ts";
import { type AppEnv, ownerScope, requireRole, type ServerContext } from "../../context.ts";
import { listOf, pageAfter } from "../list.ts";
import { errorResponses, jsonResponses } from "../openapi.ts";
import { ownedStore, StoreParam } from "./access.ts";
import { chunkingFrom, registerVectorStoreFiles } from "./files.ts";

const errors = errorResponses(400, 404);
const json = <T extends z.ZodTypeAny>(schema: T, description: string) =>
  jsonResponses(schema, description, errors);
export function storeView(s: VectorStore): z.infer<typeof VectorStoreObject> {
  return {
    id: s.id,
    object: "vector_store",
    created_at: s.created_at,
    name: s.name,
    usage_bytes: s.usage_bytes,
    file_counts: s.file_counts,
    status: s.file_counts.in_progress > 0 ? "in_progress" : "completed",
    expires_after: null,
    expires_at: null,
    last_active_at: s.last_active_at,
    metadata: s.metadata,
    tailor: {
      embedding_model: s.embedding_model,
      dimensions: s.dimensions,
      chunk_size: s.chunk_size,
      chunk_overlap: s.chunk_overlap,
    },
  };
}

export function registerVectorStores(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const kb = ctx.knowledge;
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/vector_stores",
      summary: "Create a vector store (documents for retrieval), optionally with files to index",
      request: {
        body: {
          content: { "application/json": { schema: CreateVectorStoreRequest } },
          required: true,
        },
      },
      responses: json(VectorStoreObject, "the new store"),
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "create vector stores");
      const req = c.req.valid("json");
      const files = (req.file_ids ?? []).map((id) => ctx.files.get(id, ownerScope(p)));
      const s = kb.createStore({
        name: req.name ?? "Untitled",
        owner: p.owner,
        embeddingModel: req.tailor?.embedding_model,
        chunking: chunkingFrom(req.chunking_strategy),
        metadata: req.metadata ?? null,
      });
      for (const f of files) kb.enqueue(s.id, f);
      return c.json(storeView(kb.store.get(s.id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/vector_stores",
      summary: "Your vector stores, newest first",
      request: { query: Pagination },
      responses: json(VectorStoreList, "vector stores"),
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "list vector stores");
      const q = c.req.valid("query");
      const all = kb.store.list({ ...(ownerScope(p) === undefined ? {} : { owner: p.owner }) });
      const { items, hasMore } = pageAfter(all, q, (s) => s.id);
      return c.json(listOf(items.map(storeView), hasMore), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/vector_stores/{vector_store_id}",
      summary: "A vector store",
      request: { params: StoreParam },
      responses: json(VectorStoreObject, "the store"),
    }),
    (c) =>
      c.json(
        storeView(ownedStore(ctx, c.get("principal"), c.req.valid("param").vector_store_id)),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/vector_stores/{vector_store_id}",
      summary: "Rename a vector store or change its metadata",
      request: {
        params: StoreParam,
        body: {
          content: { "application/json": { schema: UpdateVectorStoreRequest } },
          required: true,
        },
      },
      responses: json(VectorStoreObject, "the store"),
    }),
    (c) => {
      const s = ownedStore(ctx, c.get("principal"), c.req.valid("param").vector_store_id);
      const req = c.req.valid("json");
      kb.store.update(s.id, {
        ...(req.name ? { name: req.name } : {}),
        ...(req.metadata !== undefined ? { metadata: req.metadata } : {}),
      });
      return c.json(storeView(kb.store.get(s.id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/vector_stores/{vector_store_id}",
      summary: "Delete a vector store with its chunks and vectors (the uploaded files stay)",
      request: { params: StoreParam },
      responses: json(VectorStoreDeleted, "deleted"),
    }),
    (c) => {
      const s = ownedStore(ctx, c.get("principal"), c.req.valid("param").vector_store_id);
      kb.store.delete(s.id);
      return c.json({ id: s.id, object: "vector_store.deleted" as const, deleted: true }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/vector_stores/{vector_store_id}/search",
      summary:
        "Search a vector store: hybrid (embeddings + full text, fused by reciprocal rank) unless tailor.mode says otherwise",
      request: {
        params: StoreParam,
        body: {
          content: { "application/json": { schema: VectorStoreSearchRequest } },
          required: true,
        },
      },
      responses: json(VectorStoreSearchResults, "the best passages"),
    }),
    async (c) => {
      const s = ownedStore(ctx, c.get("principal"), c.req.valid("param").vector_store_id);
      const req = c.req.valid("json");
      const queries = typeof req.query === "string" ? [req.query] : req.query;
      if (req.filters !== undefined && req.filters !== null)
        throw new TailorError({
          code: "invalid_argument",
          message: "filters on file attributes are not supported yet; search without them",
          details: { field: "filters" },
        });
      const hits = await kb.search([s], queries.join(" "), {
        k: req.max_num_results ?? 10,
        mode: req.tailor?.mode,
        signal: c.req.raw.signal,
      });
      const threshold = req.ranking_options?.score_threshold ?? 0;
      return c.json(
        {
          object: "vector_store.search_results.page" as const,
          search_query: queries,
          data: hits
            .filter((h) => h.score >= threshold)
            .map((h) => ({
              file_id: h.file_id,
              filename: h.filename,
              score: h.score,
              attributes: null,
              content: [{ type: "text" as const, text: h.text }],
              tailor: {
                chunk: h.seq,
                page: h.page,
                section: h.heading,
                location: describeLocation(h),
                similarity: h.similarity,
                vector_rank: h.vector_rank,
                keyword_rank: h.keyword_rank,
              },
            })),
          has_more: false,
          next_page: null,
        },
        200,
      );
    },
  );

  registerVectorStoreFiles(app, ctx);
}
