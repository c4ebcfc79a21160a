/**
 * `/v1/responses`: OpenAI's Responses API (create, whole or streamed with its typed events;
 * retrieve; delete; input items) on a base or fine-tuned model or on an assistant
 * (`model: "asst_…"`). Stored responses are their creator's: anyone else's id is a 404, as is one
 * made with `store: false`.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  CreateResponseRequest,
  InputItemsQuery,
  ResponseDeleted,
  ResponseIdParam,
  ResponseItemList,
  ResponseObject,
} from "../../../../protocol/api/responses.ts";
import type { AppEnv, ServerContext } from "../../context.ts";
import { listOf, pageAfter } from "../list.ts";
import { errorResponses, jsonResponses } from "../openapi.ts";
import { createResponse } from "./create.ts";
import { ownedResponse } from "./prepare.ts";
import { responsesHook } from "./problem.ts";

const errors = errorResponses(400, 403, 404);

export function registerResponses(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/responses",
      summary:
        'Answer with a base or fine-tuned model, or with one of your assistants (`model: "asst_…"`): functions in `tools` come back as function_call items, file_search answers from your vector stores with citations, `previous_response_id` continues a stored response; `stream: true` answers with OpenAI\'s typed server-sent events',
      request: {
        body: {
          content: { "application/json": { schema: CreateResponseRequest } },
          required: true,
        },
      },
      responses: {
        200: {
          description: "the response (or, with stream, its events)",
          content: {
            "application/json": { schema: ResponseObject },
            "text/event-stream": { schema: z.string() },
          },
        },
        ...errors,
      },
    }),
    // biome-ignore lint/suspicious/noExplicitAny: a handler answering JSON or an event stream
    (async (c: any) => createResponse(c, ctx, c.req.valid("json"))) as never,
    responsesHook,
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/responses/{response_id}",
      summary: "A stored response, as it was returned",
      request: { params: ResponseIdParam },
      responses: jsonResponses(ResponseObject, "the response", errors),
    }),
    (c) => {
      const r = ownedResponse(ctx, c.get("principal"), c.req.valid("param").response_id);
      return c.json(r.response, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/responses/{response_id}",
      summary:
        "Delete a stored response (an assistant's conversation it went into stays; delete it under /v1/assistants)",
      request: { params: ResponseIdParam },
      responses: jsonResponses(ResponseDeleted, "deleted", errors),
    }),
    (c) => {
      const r = ownedResponse(ctx, c.get("principal"), c.req.valid("param").response_id);
      ctx.responses.delete(r.id);
      return c.json({ id: r.id, object: "response" as const, deleted: true as const }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/responses/{response_id}/input_items",
      summary:
        "The input a stored response was asked with (this request's items, not the earlier conversation), last first unless order=asc",
      request: { params: ResponseIdParam, query: InputItemsQuery },
      responses: jsonResponses(ResponseItemList, "input items", errors),
    }),
    (c) => {
      const r = ownedResponse(ctx, c.get("principal"), c.req.valid("param").response_id);
      const q = c.req.valid("query");
      const all = q.order === "asc" ? r.inputItems : [...r.inputItems].reverse();
      const { items, hasMore } = pageAfter(all, q, (i) => i.id);
      return c.json(listOf(items, hasMore), 200);
    },
  );
}
