/**
 * `/v1/assistants/{id}/conversations`: the owner lists and reads conversations (with feedback),
 * exports them as training JSONL, redacts personal data, deletes them. SKELETON: the
 * conversations helper registers the routes here.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, ServerContext } from "../../context.ts";

export function registerConversations(_app: OpenAPIHono<AppEnv>, _ctx: ServerContext): void {}
