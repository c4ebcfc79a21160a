import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, ServerContext } from "../../context.ts";
import { registerModerationFlags } from "./flags.ts";
import { registerModerationPolicies } from "./policies.ts";

/** Tailor: moderation policies (`/v1/moderation/policies`, `/v1/moderation/try`) and their flags. */
export function registerModeration(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  registerModerationPolicies(app, ctx);
  registerModerationFlags(app, ctx);
}

/** POSTs that change nothing: trying a policy on a sample text. */
export const isModerationTry = (path: string) =>
  path === "/v1/moderation/try" || /^\/v1\/moderation\/policies\/[^/]+\/try$/.test(path);
