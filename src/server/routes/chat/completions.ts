import { randomBytes } from "node:crypto";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import {
  ApiError,
  ChatCompletion,
  type ChatCompletionChunk,
  ChatCompletionRequest,
} from "../../../../protocol/api/index.ts";
import { refuseClassifier } from "../../../models/index.ts";
import { StreamGuard } from "../../../safety/moderation/index.ts";
import type { AppEnv, ServerContext } from "../../context.ts";
import { AnswerChunks, toAnswer } from "./answer.ts";
import { completionKeeper, keepDays, StreamedAnswer } from "./keep.ts";
import { chatModeration, refuseInput } from "./moderation.ts";
import { toEngineChat } from "./request.ts";
import { retrieveForChat } from "./retrieval.ts";

const DEFAULT_MAX_TOKENS = 512;

type Request = z.infer<typeof ChatCompletionRequest>;

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

export function registerChat(app: OpenAPIHono<AppEnv>, ctx: ServerContext): void {
  const { access } = ctx;
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/chat/completions",
      summary:
        "Chat with a base or fine-tuned model, which may call the functions in `tools` or answer in JSON (`response_format`); `stream: true` answers with server-sent events ending in [DONE]",
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
      const { legacy, messages: conversation, ...constraints } = toEngineChat(req);
      const model = access.resolve(c.get("principal"), req.model);
      refuseClassifier(model);
      const id = `chatcmpl-${randomBytes(12).toString("hex")}`;
      const created = Math.floor(Date.now() / 1000);
      const abort = new AbortController();
      const signal = AbortSignal.any([abort.signal, c.req.raw.signal as AbortSignal]);
      // moderation policies: a blocked question never reaches the model
      const moderation = chatModeration(ctx, c.get("principal"), req, id);
      const asked = moderation
        ? await moderation.checkInput(conversation, signal)
        : { refusal: null, messages: conversation };
      // kept for feedback when asked (`store`) or when the model name keeps its completions
      const keep = completionKeeper(ctx, c.get("principal"), req, {
        id,
        created,
        resolved_model: model.name,
        messages: asked.messages,
      });
      // usage for the health report, with the question only when the completion is kept
      const used = (answer: string | null | undefined) =>
        ctx.usage.answered({
          model: req.model,
          resolvedModel: model.name,
          channel: "chat",
          answer,
          asked: keepDays(ctx, req) === null ? null : asked.messages,
        });
      if (asked.refusal !== null) {
        keep({ content: asked.refusal, finish_reason: "content_filter" });
        used(asked.refusal);
        return refuseInput(c, req, { id, created }, asked.refusal);
      }
      const { messages, retrieval } = await retrieveForChat(
        ctx,
        c.get("principal"),
        req,
        model,
        asked.messages,
        { maxTokens: sampling(req).max_tokens, tools: constraints.tools },
        signal,
      );
      const cut = new AbortController(); // a policy that blocks the answer stops the engine only
      const generation = ctx.chat.generate(
        {
          base: model.source,
          ...(model.adapterDir ? { adapterDir: model.adapterDir } : {}),
          messages,
          ...sampling(req),
          ...constraints,
          constrained: true,
        },
        { signal: AbortSignal.any([signal, cut.signal]), stream: Boolean(req.stream) },
      );
      if (!req.stream) {
        for await (const ev of generation) {
          if (ev.type !== "result") continue;
          const choices = moderation
            ? await Promise.all(ev.choices.map((ch) => moderation.checkChoice(ch, signal)))
            : ev.choices;
          const answers = choices.map((ch) => toAnswer(ch, legacy));
          const [first] = answers;
          keep(first && { content: first.message.content, finish_reason: first.finish_reason });
          used(first?.message.content);
          return c.json({
            id,
            object: "chat.completion",
            created,
            model: req.model,
            choices: answers,
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
      // the first event before the stream begins: a refusal (llama.cpp's queue full: 429 with
      // Retry-After) is then the HTTP answer, not an error event in a stream already under way
      const started = await primed(generation);
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
        const answer = new AnswerChunks(legacy);
        const kept = new StreamedAnswer(legacy);
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
          const events = moderation?.active("output")
            ? new StreamGuard(moderation, {
                choices: req.n ?? 1,
                cut: () => cut.abort(),
                signal,
              }).run(started)
            : started;
          for await (const ev of events) {
            kept.see(ev);
            const choices =
              ev.type === "delta"
                ? answer.text(ev.index, ev.text)
                : ev.type === "tool_call_delta"
                  ? answer.call(ev)
                  : ev.type === "filtered"
                    ? answer.filtered(ev.index, ev.refusal)
                    : ev.choices.flatMap((ch) => answer.end(ch));
            for (const choice of choices) await chunk([choice]);
            if (ev.type === "result" && req.stream_options?.include_usage)
              await chunk([], {
                prompt_tokens: ev.prompt_tokens,
                completion_tokens: ev.completion_tokens,
                total_tokens: ev.prompt_tokens + ev.completion_tokens,
              });
          }
          if (!signal.aborted) keep(kept.first);
          if (!signal.aborted) used(kept.first?.content);
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

/** The generation with its first event already awaited (errors before it are thrown here). */
async function primed<T>(gen: AsyncGenerator<T, void>): Promise<AsyncGenerator<T, void>> {
  const first = await gen.next();
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* gen;
  })();
}
