/** A share API request's JSON body, read once and checked with its schema: never trusted raw. */
import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { TailorError } from "../../errors/index.ts";

/** Bodies of the share API are small (a question, a correction): anything bigger is refused. */
export const MAX_SHARE_BODY_BYTES = 64 * 1024;

export async function readBody<S extends z.ZodTypeAny>(
  c: Context,
  schema: S,
): Promise<z.output<S>> {
  // a form posted from another site cannot set this type without asking first (CORS)
  if (!(c.req.header("content-type") ?? "").toLowerCase().startsWith("application/json")) {
    throw new TailorError({
      code: "invalid_argument",
      message: "The request's body must be JSON (Content-Type: application/json).",
    });
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new TailorError({
      code: "invalid_argument",
      message: "The request's body must be JSON (Content-Type: application/json).",
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") ?? "";
    throw new TailorError({
      code: "invalid_argument",
      message: `${field ? `${field}: ` : ""}${issue?.message ?? "invalid request"}`,
      details: { field },
    });
  }
  return parsed.data;
}
