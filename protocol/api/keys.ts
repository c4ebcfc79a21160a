/** Tailor: `/v1/keys` and `/v1/me`, API keys and the principal a key stands for. */
import { z } from "@hono/zod-openapi";
import { KEY_ROLES } from "../auth.ts";
import { seconds } from "./shared.ts";

export const ApiKeyObject = z
  .object({
    id: z.string(),
    object: z.literal("tailor.api_key"),
    name: z.string(),
    owner: z.string(),
    role: z.enum(KEY_ROLES),
    /** The first characters of the key, to recognise it. */
    prefix: z.string(),
    created_at: seconds,
    last_used_at: seconds.nullable(),
    revoked_at: seconds.nullable(),
  })
  .openapi("ApiKey");
export const ApiKeyList = z
  .object({ object: z.literal("list"), data: z.array(ApiKeyObject) })
  .openapi("ApiKeyList");
export const CreateKeyRequest = z
  .object({
    name: z.string().min(1).max(100),
    role: z.enum(KEY_ROLES),
    owner: z.string().min(1).max(100).optional(),
  })
  .openapi("CreateApiKeyRequest");
export const ApiKeyCreated = ApiKeyObject.extend({
  /** The key itself: shown this once, never stored. */
  key: z.string(),
}).openapi("ApiKeyCreated");

export const Me = z
  .object({
    object: z.literal("tailor.principal"),
    key_id: z.string(),
    owner: z.string(),
    role: z.enum(KEY_ROLES),
  })
  .openapi("Principal");
