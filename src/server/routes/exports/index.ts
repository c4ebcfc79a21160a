/**
 * `POST /v1/models/{model}/export` (202: the export, running in the background), `GET /v1/exports`,
 * `GET /v1/exports/{export_id}`, its download `GET /v1/exports/{export_id}/content`, and `DELETE`.
 * A model is exported only by a caller who may use it (names and checkpoints resolved as chat
 * does); owners see their exports, admins every one, others a 404. The work is src/exports.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  ExportContentQuery,
  ExportCreateRequest,
  ExportDeleted,
  ExportList,
  ExportListQuery,
  ExportObject,
} from "../../../../protocol/api/exports.ts";
import { TailorError } from "../../../errors/index.ts";
import type { ExportService } from "../../../exports/index.ts";
import { type AppEnv, ownerScope, requireRole, type ServerContext } from "../../context.ts";
import { errorResponses, jsonResponses } from "../openapi.ts";
import { exportObject } from "./view.ts";

const errors = errorResponses(400, 403, 404, 409);
const ModelParam = z.object({
  model: z.string().openapi({ param: { name: "model", in: "path" }, example: "support" }),
});
const IdParam = z.object({
  export_id: z
    .string()
    .openapi({ param: { name: "export_id", in: "path" }, example: "export-abc123" }),
});

/** An attachment's Content-Disposition, with an ASCII fallback and the UTF-8 name. */
function disposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function registerExports(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const exports = (): ExportService => {
    if (ctx.exports) return ctx.exports;
    throw new TailorError({
      code: "not_found",
      message: "exports are not available on this server; start it with `tailor serve`",
    });
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/models/{model}/export",
      summary:
        "Tailor: write a model out to run elsewhere (PEFT, merged, GGUF, Ollama), in the background; poll the export, then download it",
      request: {
        params: ModelParam,
        body: { content: { "application/json": { schema: ExportCreateRequest } }, required: true },
      },
      responses: {
        202: {
          description: "the export, running",
          content: { "application/json": { schema: ExportObject } },
        },
        ...errors,
      },
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "export models");
      const body = c.req.valid("json");
      const model = ctx.access.resolve(p, c.req.valid("param").model);
      const x = exports().start(p.owner, model, body);
      c.set("auditDetails", { export: x.id, format: x.format, quantization: x.quantization });
      return c.json(exportObject(x), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/exports",
      summary:
        "Tailor: your exports (an admin's: everyone's), newest first; ?model= for one model's",
      request: { query: ExportListQuery },
      responses: jsonResponses(ExportList, "exports", errors),
    }),
    (c) => {
      const data = exports()
        .list(ownerScope(c.get("principal")), c.req.valid("query").model)
        .map(exportObject);
      return c.json(
        {
          object: "list" as const,
          data,
          has_more: false,
          first_id: data[0]?.id ?? null,
          last_id: data.at(-1)?.id ?? null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/exports/{export_id}",
      summary: "Tailor: an export: running (with the engine's progress), succeeded or failed (why)",
      request: { params: IdParam },
      responses: jsonResponses(ExportObject, "the export", errors),
    }),
    (c) => {
      const x = exports().get(ownerScope(c.get("principal")), c.req.valid("param").export_id);
      return c.json(exportObject(x), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/exports/{export_id}",
      summary: "Tailor: delete a finished export and its files",
      request: { params: IdParam },
      responses: jsonResponses(ExportDeleted, "deleted", errors),
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin", "member"], "delete exports");
      const id = c.req.valid("param").export_id;
      exports().delete(ownerScope(p), id);
      return c.json({ id, object: "export" as const, deleted: true as const }, 200);
    },
  );

  app.get("/v1/exports/:export_id/content", (c) => {
    const query = ExportContentQuery.parse({ file: c.req.query("file") });
    const d = exports().download(
      ownerScope(c.get("principal")),
      c.req.param("export_id"),
      query.file,
    );
    return c.body(d.stream, 200, {
      "content-type": d.contentType,
      "content-disposition": disposition(d.name),
      ...(d.bytes === null ? {} : { "content-length": String(d.bytes) }),
    });
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/exports/{export_id}/content",
    summary:
      "Tailor: download a succeeded export: a base model's GGUF file itself, else a .tar.gz of the folder (or ?file= one of its files)",
    request: { params: IdParam, query: ExportContentQuery },
    responses: {
      200: {
        description: "the file or the archive (Content-Disposition names it)",
        content: {
          "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) },
          "application/gzip": { schema: z.string().openapi({ format: "binary" }) },
        },
      },
      ...errors,
    },
  });
}
