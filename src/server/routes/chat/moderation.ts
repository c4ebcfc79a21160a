/**
 * Moderation on a chat completion, as the route needs it: the policies the request is under (its
 * model's, its key's, and `tailor.moderation`), each flag also written to the audit log, and the
 * answer to a question a policy blocked, which the model never sees: the refusal with
 * `finish_reason: "content_filter"`, whole or as a stream.
 */
import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
} from "../../../../protocol/api/index.ts";
import { type ChatModeration, moderationFor } from "../../../safety/moderation/index.ts";
import type { Principal, ServerContext } from "../../context.ts";
import { moderationDeps } from "../moderation/deps.ts";

type Request = z.infer<typeof ChatCompletionRequest>;

/** The policies on this request, or null when none applies. */
export function chatModeration(
  ctx: ServerContext,
  p: Principal,
  req: Request,
  requestId: string,
): ChatModeration | null {
  return moderationFor(
    moderationDeps(
      ctx,
      { keyId: p.keyId, owner: p.owner, role: p.role },
      { request: requestId, model: req.model },
    ),
    { model: req.model, keyId: p.keyId, owner: p.owner, requestId },
    req.tailor?.moderation,
  );
}

/** The answer to a blocked question: each choice is the refusal; no token was generated. */
export function refuseInput(
  c: Context,
  req: Request,
  head: { id: string; created: number },
  refusal: string,
): Response | Promise<Response> {
  const n = req.n ?? 1;
  const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  if (!req.stream) {
    return c.json({
      ...head,
      object: "chat.completion",
      model: req.model,
      choices: Array.from({ length: n }, (_, index) => ({
        index,
        message: { role: "assistant" as const, content: refusal, refusal: null },
        finish_reason: "content_filter" as const,
        logprobs: null,
      })),
      usage,
    } satisfies z.infer<typeof ChatCompletion>);
  }
  return streamSSE(c, async (stream) => {
    const chunk = (
      choices: z.infer<typeof ChatCompletionChunk>["choices"],
      extra: Partial<z.infer<typeof ChatCompletionChunk>> = {},
    ) =>
      stream.writeSSE({
        data: JSON.stringify({
          ...head,
          object: "chat.completion.chunk",
          model: req.model,
          choices,
          ...extra,
        } satisfies z.infer<typeof ChatCompletionChunk>),
      });
    for (let index = 0; index < n; index++) {
      await chunk([
        {
          index,
          delta: { role: "assistant", content: refusal },
          finish_reason: null,
          logprobs: null,
        },
      ]);
      await chunk([{ index, delta: {}, finish_reason: "content_filter", logprobs: null }]);
    }
    if (req.stream_options?.include_usage) await chunk([], { usage });
    await stream.writeSSE({ data: "[DONE]" });
  });
}
