import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorCode, isTailorError, TailorError } from "../errors/index.ts";

/** The one table from the domain's error codes to HTTP statuses and OpenAI's error types. */
const HTTP: Partial<Record<ErrorCode, [ContentfulStatusCode, string]>> = {
  invalid_argument: [400, "invalid_request_error"],
  data_invalid: [422, "invalid_request_error"],
  file_not_found: [404, "invalid_request_error"],
  not_found: [404, "invalid_request_error"],
  model_not_found: [404, "invalid_request_error"],
  model_exists: [409, "invalid_request_error"],
  conflict: [409, "invalid_request_error"],
  unauthorized: [401, "authentication_error"],
  forbidden: [403, "permission_error"],
  too_large: [413, "invalid_request_error"],
  rate_limited: [429, "rate_limit_error"],
  out_of_memory: [503, "server_error"],
};

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return HTTP[code]?.[0] ?? 500;
}

/** Any error as OpenAI's `{"error": {message, type, param, code}}` with its status. */
export function errorResponse(c: Context, e: unknown): Response {
  const err = isTailorError(e)
    ? e
    : new TailorError({
        code: "internal",
        message: "internal error; the server log has the details",
      });
  if (!isTailorError(e)) console.error(e);
  const [status, type] = HTTP[err.code] ?? [500, "server_error"];
  // a busy engine says when to come back (llama.cpp's full queue: details.retryAfterSeconds)
  const retry = err.details.retryAfterSeconds;
  if (status === 429 && typeof retry === "number")
    c.header("retry-after", String(Math.ceil(retry)));
  const param = typeof err.details.field === "string" ? err.details.field : null;
  return c.json({ error: { message: err.message, type, param, code: err.code } }, status);
}

export const notFound = (what: string, id: string, field?: string) =>
  new TailorError({ code: "not_found", message: `no ${what} ${id}`, details: { field } });
