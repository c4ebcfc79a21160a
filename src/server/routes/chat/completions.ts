import { randomBytes } from "node:crypto";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import {
  ApiError,
  ChatCompletion,
  type ChatCompletionChunk,
  ChatCompletionRequest,
  type ChatFinishReason,
} from "../../../../protocol/api/index.ts";
import type { ChatMessage } from "../../../../protocol/index.ts";
import type { FinishReason } from "../../../serving/index.ts";
import type { AppEnv, ServerContext } from "../../context.ts";
import { retrieveForChat } from "./retrieval.ts";

const DEFAULT_MAX_TOKENS = 512;

type Request = z.infer<typeof ChatCompletionRequest>;

function toMessages(req: Request): ChatMessage[] {
  return req.messages.map((m) => ({
    role: m.role === "developer" ? "system" : m.role,
    content:
      typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => p.text).join(""),
  }));
}

/** OpenAI's defaults: temperature 1 and top_p 1 unless the request says otherwise. */
function sampling(req: Request) {
  return {
    temperature: req.temperature ?? 1,
    top_p: req.top_p ?? 1,
    top_k: req.top_k ?? 0,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? DEFAULT_MAX_TOKENS,
    stop:
      req.stop == null ? [] : typeof req.stop === "string" ? [req.stop] : req.stop.filter(Boolean),
    seed: req.seed ?? 0,
    n: req.n ?? 1,
  };
}

/** The engine's reason in OpenAI's words (OpenAI has no "cancelled": it reads as "stop"). */
const finish = (r: FinishReason): ChatFinishReason => (r === "length" ? "length" : "stop");

export function registerChat(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const { access } = ctx;
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/chat/completions",
      summary:
        "Chat with a base or fine-tuned model; `stream: true` answers with server-sent events ending in [DONE]",
      request: {
        body: {
          content: { "application/json": { schema: ChatCompletionRequest } },
          required: true,
        },
      },
      responses: {
        200: {
          description: "the answer (or, with stream, chat.completion.chunk events)",
          content: {
            "application/json": { schema: ChatCompletion },
            "text/event-stream": { schema: z.string() },
          },
        },
        400: { description: "bad request", content: { "application/json": { schema: ApiError } } },
        404: {
          description: "unknown model",
          content: { "application/json": { schema: ApiError } },
        },
      },
    }),
    // biome-ignore lint/suspicious/noExplicitAny: a handler answering JSON or an event stream
    (async (c: any) => {
      const req = c.req.valid("json") as Request;
      const model = access.resolve(c.get("principal"), req.model);
      const id = `chatcmpl-${randomBytes(12).toString("hex")}`;
      const created = Math.floor(Date.now() / 1000);
      const abort = new AbortController();
      const signal = AbortSignal.any([abort.signal, c.req.raw.signal as AbortSignal]);
      const { messages, retrieval } = await retrieveForChat(
        ctx,
        c.get("principal"),
        req,
        model,
        toMessages(req),
        sampling(req).max_tokens,
        signal,
      );
      const generation = ctx.inference.generate(
        {
          base: model.source,
          ...(model.adapterDir ? { adapterDir: model.adapterDir } : {}),
          messages,
          ...sampling(req),
        },
        { signal, stream: Boolean(req.stream) },
      );
      if (!req.stream) {
        for await (const ev of generation) {
          if (ev.type !== "result") continue;
          return c.json({
            id,
            object: "chat.completion",
            created,
            model: req.model,
            choices: ev.choices.map((ch) => ({
              index: ch.index,
              message: { role: "assistant", content: ch.text, refusal: null },
              finish_reason: finish(ch.finish_reason),
              logprobs: null,
            })),
            usage: {
              prompt_tokens: ev.prompt_tokens,
              completion_tokens: ev.completion_tokens,
              total_tokens: ev.prompt_tokens + ev.completion_tokens,
            },
            ...(retrieval ? { tailor: retrieval } : {}),
          } satisfies z.infer<typeof ChatCompletion>);
        }
        throw new Error("the engine ended without an answer");
      }
      return streamSSE(c, async (stream) => {
        // A client that goes away stops the generation at once, whatever the loop below waits on
        // (a write to a closed connection may never settle).
        const gone = new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => resolve(), { once: true }),
        );
        const stop = () => {
          abort.abort();
          void generation.return(undefined);
        };
        stream.onAbort(stop);
        signal.addEventListener("abort", stop, { once: true });
        const send = (data: string) =>
          signal.aborted ? Promise.resolve() : Promise.race([stream.writeSSE({ data }), gone]);
        const chunk = (
          choices: z.infer<typeof ChatCompletionChunk>["choices"],
          usage?: z.infer<typeof ChatCompletionChunk>["usage"],
        ) =>
          send(
            JSON.stringify({
              id,
              object: "chat.completion.chunk",
              created,
              model: req.model,
              choices,
              ...(usage !== undefined ? { usage } : {}),
            }),
          );
        const started = new Set<number>();
        try {
          if (retrieval)
            await send(
              JSON.stringify({
                id,
                object: "chat.completion.chunk",
                created,
                model: req.model,
                choices: [],
                tailor: retrieval,
              }),
            );
          for await (const ev of generation) {
            if (ev.type === "delta") {
              const first = !started.has(ev.index);
              started.add(ev.index);
              await chunk([
                {
                  index: ev.index,
                  delta: { ...(first ? { role: "assistant" as const } : {}), content: ev.text },
                  finish_reason: null,
                  logprobs: null,
                },
              ]);
            } else {
              for (const ch of ev.choices)
                await chunk([
                  {
                    index: ch.index,
                    delta: started.has(ch.index) ? {} : { role: "assistant", content: ch.text },
                    finish_reason: finish(ch.finish_reason),
                    logprobs: null,
                  },
                ]);
              if (req.stream_options?.include_usage)
                await chunk([], {
                  prompt_tokens: ev.prompt_tokens,
                  completion_tokens: ev.completion_tokens,
                  total_tokens: ev.prompt_tokens + ev.completion_tokens,
                });
            }
          }
          await send("[DONE]");
        } catch (e) {
          await send(
            JSON.stringify({
              error: {
                message: (e as Error).message,
                type: "server_error",
                param: null,
                code: "internal",
              },
            }),
          );
        }
      });
    }) as never,
  );
}
