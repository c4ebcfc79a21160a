/**
 * `/v1/responses`: OpenAI's Responses API (create, plain or streamed with its typed events;
 * retrieve; delete; input items), on a model or an assistant (`model: "asst_…"`). SKELETON: the
 * Responses helper registers the routes here.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, ServerContext } from "../../context.ts";

export function registerResponses(_app: OpenAPIHono<AppEnv>, _ctx: ServerContext): void {}
