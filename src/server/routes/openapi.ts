/** The OpenAPI response entries the routes share: OpenAI's error body under each status it may answer. */
import type { z } from "@hono/zod-openapi";
import { ApiError } from "../../../protocol/api/index.ts";

const WHAT = {
  400: "bad request",
  403: "forbidden",
  404: "not found",
  409: "conflict",
  422: "unsuitable file",
} as const;
type Status = keyof typeof WHAT;
type ErrorEntry = {
  description: string;
  content: { "application/json": { schema: typeof ApiError } };
};

/** `{400: {description: "bad request", content: …ApiError}, …}` for the given statuses. */
export function errorResponses<S extends Status>(...statuses: S[]): Record<S, ErrorEntry> {
  const out = {} as Record<S, ErrorEntry>;
  for (const s of statuses)
    out[s] = { description: WHAT[s], content: { "application/json": { schema: ApiError } } };
  return out;
}

/** A route's responses: `schema` as JSON under 200, and the errors. */
export function jsonResponses<T extends z.ZodTypeAny, E extends object>(
  schema: T,
  description: string,
  errors: E,
) {
  return { 200: { description, content: { "application/json": { schema } } }, ...errors };
}
