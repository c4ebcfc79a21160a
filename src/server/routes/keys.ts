import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  ApiKeyCreated,
  ApiKeyList,
  ApiKeyObject,
  CreateKeyRequest,
  Me,
} from "../../../protocol/api/index.ts";
import type { ApiKey } from "../../auth/index.ts";
import { type AppEnv, requireRole, type ServerContext } from "../context.ts";
import { errorResponses, jsonResponses } from "./openapi.ts";

const errors = errorResponses(400, 403, 404, 409);
const json = <T extends z.ZodTypeAny>(schema: T, description: string) =>
  jsonResponses(schema, description, errors);
const IdParam = z.object({
  key_id: z.string().openapi({ param: { name: "key_id", in: "path" } }),
});

const keyView = (k: ApiKey): z.infer<typeof ApiKeyObject> => ({
  id: k.id,
  object: "tailor.api_key",
  name: k.name,
  owner: k.owner,
  role: k.role,
  prefix: k.prefix,
  created_at: k.created_at,
  last_used_at: k.last_used_at,
  revoked_at: k.revoked_at,
});

/** Tailor: who the caller is, and (admins) the API keys: what `tailor keys` does, over HTTP. */
export function registerKeys(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/me",
      summary: "Tailor: the key this request was made with (its owner and role)",
      responses: json(Me, "the caller"),
    }),
    (c) => {
      const p = c.get("principal");
      return c.json(
        { object: "tailor.principal" as const, key_id: p.keyId, owner: p.owner, role: p.role },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/keys",
      summary:
        "Tailor (admin): every API key, oldest first, revoked ones too (never the keys themselves)",
      responses: json(ApiKeyList, "keys"),
    }),
    (c) => {
      requireRole(c.get("principal"), ["admin"], "list API keys");
      return c.json({ object: "list" as const, data: ctx.keys.list().map(keyView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/keys",
      summary: "Tailor (admin): create an API key; the key is in this answer only",
      request: {
        body: { content: { "application/json": { schema: CreateKeyRequest } }, required: true },
      },
      responses: json(ApiKeyCreated, "the new key"),
    }),
    (c) => {
      requireRole(c.get("principal"), ["admin"], "create API keys");
      const body = c.req.valid("json");
      const { key, record } = ctx.keys.create(body);
      return c.json({ ...keyView(record), key }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/keys/{key_id}/revoke",
      summary: "Tailor (admin): revoke an API key for good; it stops working at once",
      request: { params: IdParam },
      responses: json(ApiKeyObject, "the revoked key"),
    }),
    (c) => {
      const p = c.get("principal");
      requireRole(p, ["admin"], "revoke API keys");
      return c.json(keyView(ctx.keys.revoke(c.req.valid("param").key_id)), 200);
    },
  );
}
