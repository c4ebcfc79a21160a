/**
 * The answers every key-guarded operation may give before its route runs, added to each operation
 * of the OpenAPI document: 401 (no key, or one that is unknown or revoked), 403 (a role that may
 * not), 429 (too many requests; Retry-After says when to come back); where the request has
 * parameters or a body, 400 (one that does not match this document; the message names the field);
 * where a body is read, 413 (over the server's limit). The middleware and the validation hook
 * answer these for every route, so each route's own list names only what it decides itself. The
 * error body is the `Error` schema the routes' own errors register.
 */
const ERROR_REF = "#/components/schemas/Error";
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

const COMMON = {
  401: "no API key, or one that is unknown or revoked",
  403: "the key's role may not do this",
  429: "too many requests: wait for Retry-After seconds",
} as const;
const WITH_INPUT = {
  400: "the request does not match this document (the field is named)",
} as const;
const WITH_BODY = { 413: "the request body is over the server's limit" } as const;

interface Operation {
  requestBody?: unknown;
  parameters?: unknown[];
  security?: unknown[];
  responses?: Record<string, unknown>;
}
interface Document {
  security?: unknown[];
  paths?: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
}

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: ERROR_REF } } },
});

/** `doc` with the middleware's answers on every operation that needs a key (public ones untouched). */
export function withCommonErrors<D extends Document>(doc: D): D {
  const guarded = (op: Operation) => (op.security ?? doc.security ?? []).length > 0;
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op || !guarded(op)) continue;
      const responses = op.responses ?? {};
      const input = op.requestBody !== undefined || (op.parameters ?? []).length > 0;
      const add = {
        ...COMMON,
        ...(input ? WITH_INPUT : {}),
        ...(op.requestBody !== undefined ? WITH_BODY : {}),
      };
      for (const [status, description] of Object.entries(add))
        if (!(status in responses)) responses[status] = error(description);
      op.responses = responses;
    }
  }
  return doc;
}
