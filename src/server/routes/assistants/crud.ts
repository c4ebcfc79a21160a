/**
 * `/v1/assistants` create, list, retrieve, update (a new version), delete; versions; publish and
 * unpublish. SKELETON: the store helper registers the routes here.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, ServerContext } from "../../context.ts";

export function registerAssistantCrud(_app: OpenAPIHono<AppEnv>, _ctx: ServerContext): void {}
