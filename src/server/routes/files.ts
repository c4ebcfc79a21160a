import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  ApiError,
  FileDeleted,
  FileList,
  FileObject,
  Pagination,
  RedactionResult,
} from "../../../protocol/api/index.ts";
import { TailorError } from "../../errors/index.ts";
import type { StoredFile } from "../../files/index.ts";
import { type AppEnv, ownerScope, requireRole, type ServerContext } from "../context.ts";
import { listOf } from "./list.ts";
import { withUpload } from "./multipart.ts";
import { errorResponses } from "./openapi.ts";

const errors = errorResponses(400, 404);

export function fileView(f: StoredFile): z.infer<typeof FileObject> {
  return {
    id: f.id,
    object: "file",
    bytes: f.bytes,
    created_at: f.created_at,
    filename: f.filename,
    purpose: f.purpose,
    status: f.status,
    status_details: f.status_details,
    expires_at: null,
    tailor: {
      dataset_id: f.dataset_id,
      examples: f.report?.examples ?? 0,
      errors: f.report?.errors.length ?? 0,
      warnings: f.report?.warnings.length ?? 0,
    },
  };
}

const IdParam = z.object({
  file_id: z.string().openapi({ param: { name: "file_id", in: "path" } }),
});

export function registerFiles(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  // multipart is streamed to disk by the handler, so the route is only described here, not validated
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/files",
    summary: "Upload a file (multipart: file, purpose=fine-tune); examples are checked on arrival",
    request: {
      body: {
        content: {
          "multipart/form-data": {
            schema: z.object({
              file: z.string().openapi({ type: "string", format: "binary" }),
              purpose: z.enum(["fine-tune", "assistants", "batch", "user_data"]),
            }),
          },
        },
      },
    },
    responses: {
      200: {
        description: "the stored file",
        content: { "application/json": { schema: FileObject } },
      },
      413: { description: "too large", content: { "application/json": { schema: ApiError } } },
      ...errors,
    },
  });
  app.post("/v1/files", async (c) => {
    const p = c.get("principal");
    requireRole(p, ["admin", "member"], "upload files");
    const body = c.req.raw.body;
    if (!body)
      throw new TailorError({
        code: "invalid_argument",
        message: "the request has no body",
        details: { field: "file" },
      });
    const file = await withUpload(
      Readable.fromWeb(body as NodeReadableStream),
      c.req.header("content-type") ?? "",
      ctx.limits.maxUploadBytes,
      (upload) => ctx.files.upload(upload, { owner: p.owner }),
      ctx.limits.uploadIdleMs,
    );
    return c.json(fileView(file), 200);
  });

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/files",
      summary: "List your files, newest first",
      request: { query: Pagination.extend({ purpose: z.string().optional() }) },
      responses: {
        200: { description: "files", content: { "application/json": { schema: FileList } } },
        ...errors, // 404: an `after` that is not one of your files
      },
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "list files");
      const q = c.req.valid("query");
      const scope = ownerScope(p);
      const page = ctx.files.list({
        ...(scope === undefined ? {} : { owner: scope }),
        ...(q.after ? { after: q.after } : {}),
        ...(q.purpose ? { purpose: q.purpose } : {}),
        limit: q.limit + 1,
      });
      return c.json(listOf(page.slice(0, q.limit).map(fileView), page.length > q.limit), 200);
    },
  );

  const owned = (c: { get: (k: "principal") => AppEnv["Variables"]["principal"] }, id: string) => {
    const p = c.get("principal");
    requireRole(p, ["admin", "member"], "read files");
    return ctx.files.get(id, ownerScope(p));
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/files/{file_id}",
      summary: "A file",
      request: { params: IdParam },
      responses: {
        200: { description: "the file", content: { "application/json": { schema: FileObject } } },
        ...errors,
      },
    }),
    (c) => c.json(fileView(owned(c, c.req.valid("param").file_id)), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/files/{file_id}/report",
      summary:
        "Tailor: the data report of an uploaded fine-tune file (errors by line, warnings, PII)",
      request: { params: IdParam },
      responses: {
        200: {
          description: "the report",
          content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
        },
        ...errors,
      },
    }),
    (c) => {
      const f = owned(c, c.req.valid("param").file_id);
      if (!f.report)
        throw new TailorError({
          code: "not_found",
          message: `${f.id} has no data report (purpose ${f.purpose})`,
        });
      return c.json(f.report as unknown as Record<string, unknown>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/files/{file_id}/redact",
      summary:
        "Tailor: a new file with the personal data of a fine-tune file replaced by placeholders ([EMAIL], [PHONE], …); the original is kept",
      request: { params: IdParam },
      responses: {
        200: {
          description: "the redacted file",
          content: { "application/json": { schema: RedactionResult } },
        },
        422: {
          description: "the file has errors",
          content: { "application/json": { schema: ApiError } },
        },
        ...errors,
      },
    }),
    async (c) => {
      requireRole(c.get("principal"), ["admin", "member"], "redact files");
      const f = owned(c, c.req.valid("param").file_id);
      const r = await ctx.files.redact(f);
      const replaced = Object.fromEntries(
        Object.entries(r.replaced).filter((e): e is [string, number] => typeof e[1] === "number"),
      );
      return c.json(
        {
          object: "tailor.redaction" as const,
          source_file: f.id,
          file: fileView(r.file),
          replaced,
        },
        200,
      );
    },
  );

  app.get("/v1/files/:file_id/content", (c) => {
    const f = owned(c, c.req.param("file_id"));
    return c.body(new Uint8Array(ctx.files.content(f)), 200, {
      "content-type": "application/octet-stream",
    });
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/files/{file_id}/content",
    summary: "The file's bytes",
    request: { params: IdParam },
    responses: {
      200: {
        description: "the bytes",
        content: {
          "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) },
        },
      },
      ...errors,
    },
  });

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/files/{file_id}",
      summary: "Delete a file and its bytes, and remove it from every vector store",
      request: { params: IdParam },
      responses: {
        200: { description: "deleted", content: { "application/json": { schema: FileDeleted } } },
        ...errors,
      },
    }),
    (c) => {
      const f = owned(c, c.req.valid("param").file_id);
      ctx.knowledge.forgetFile(f.id); // its passages must not outlive it (OpenAI does the same)
      ctx.files.delete(f);
      return c.json({ id: f.id, object: "file" as const, deleted: true }, 200);
    },
  );
}
