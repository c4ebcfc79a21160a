/**
 * What every resource of the HTTP API shares: OpenAI's error body, its list envelope and cursor
 * pagination, and Unix times in seconds.
 */
import { z } from "@hono/zod-openapi";

export const seconds = z.number().int().openapi({ description: "Unix time in seconds" });

export const ApiError = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .openapi("Error");

export const listOf = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    object: z.literal("list"),
    data: z.array(item),
    has_more: z.boolean(),
    first_id: z.string().nullable().optional(),
    last_id: z.string().nullable().optional(),
  });

export const Pagination = z.object({
  after: z
    .string()
    .optional()
    .openapi({ description: "id of the last object of the previous page" }),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
});
