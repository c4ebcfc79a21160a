/**
 * The share page: `/a/<slug>` (the page, for people without a Tailor key) and its own small API
 * under `/a/<slug>/api/` (visitor cookie, passcode, per-visitor rate limit, answers streamed,
 * feedback). Outside `/v1`: no API key needed unless the assistant is for signed-in keys only.
 * SKELETON: the share-page helper registers the routes here.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, ServerContext } from "../context.ts";

export function registerShare(_app: OpenAPIHono<AppEnv>, _ctx: ServerContext): void {}
