/**
 * `POST /v1/models/{id}/export`, `GET /v1/exports/{id}` and its download: a model written out as
 * PEFT, merged, GGUF or for Ollama (src/exports). Filled in by the exports work of issue 17.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, ServerContext } from "../../context.ts";

export function registerExports(_app: OpenAPIHono<AppEnv>, _ctx: ServerContext): void {}
