import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { ApiError, EmbeddingRequest, EmbeddingResponse } from "../../../protocol/api/index.ts";
import { TailorError } from "../../errors/index.ts";
import { DEFAULT_EMBEDDING_MODEL as EMBEDDING_MODEL } from "../../knowledge/index.ts";
import type { AppEnv, ServerContext } from "../context.ts";

/** OpenAI's base64 encoding: the float32 values, little-endian. */
function base64(v: number[]): string {
  const buf = Buffer.alloc(v.length * 4);
  for (const [i, x] of v.entries()) buf.writeFloatLE(x, i * 4);
  return buf.toString("base64");
}

export function registerEmbeddings(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/embeddings",
      summary: `Sentence embeddings with ${EMBEDDING_MODEL} (offline)`,
      request: {
        body: { content: { "application/json": { schema: EmbeddingRequest } }, required: true },
      },
      responses: {
        200: {
          description: "the vectors",
          content: { "application/json": { schema: EmbeddingResponse } },
        },
        400: { description: "bad request", content: { "application/json": { schema: ApiError } } },
        404: {
          description: "unknown model",
          content: { "application/json": { schema: ApiError } },
        },
      },
    }),
    async (c) => {
      const req = c.req.valid("json");
      if (req.model.toLowerCase() !== EMBEDDING_MODEL)
        throw new TailorError({
          code: "model_not_found",
          message: `embeddings come from '${EMBEDDING_MODEL}'; '${req.model}' is not an embedding model here`,
          details: { field: "model" },
        });
      if (req.dimensions !== undefined && req.dimensions !== 384)
        throw new TailorError({
          code: "invalid_argument",
          message: `${EMBEDDING_MODEL} has 384 dimensions`,
          details: { field: "dimensions" },
        });
      const input = typeof req.input === "string" ? [req.input] : req.input;
      const out = await ctx.inference.embed(input, { signal: c.req.raw.signal });
      return c.json(
        {
          object: "list" as const,
          data: out.data.map((v, index) => ({
            object: "embedding" as const,
            index,
            embedding: req.encoding_format === "base64" ? base64(v) : v,
          })),
          model: EMBEDDING_MODEL,
          usage: { prompt_tokens: out.prompt_tokens, total_tokens: out.prompt_tokens },
        },
        200,
      );
    },
  );
}
