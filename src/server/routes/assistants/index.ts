/**
 * `/v1/assistants` (OpenAI's v2 assistant shape where it fits; Tailor's settings beside it), their
 * versions and publication (crud.ts), and their conversations (conversations.ts).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, ServerContext } from "../../context.ts";
import { registerConversations } from "./conversations.ts";
import { registerAssistantCrud } from "./crud.ts";

export { type Asker, auditFunctionCall } from "./function-audit.ts";

export function registerAssistants(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  registerAssistantCrud(app, ctx);
  registerConversations(app, ctx);
}
