/**
 * `POST /v1/responses`: one turn run (src/assistants' runTurn) and its events made into the
 * response, returned whole or streamed as OpenAI's typed server-sent events. The response is
 * stored (with `store`) before its last event, so a retrieve right after the stream finds it. A
 * client that goes away stops the generation and any HTTP call at once, and nothing is stored.
 */
import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { CreateResponseRequest } from "../../../../protocol/api/responses.ts";
import type { ResponseStreamEvent } from "../../../../protocol/api/responses-stream.ts";
import { runTurn, type TurnEvent } from "../../../assistants/index.ts";
import { isTailorError, TailorError } from "../../../errors/index.ts";
import { newId, ResponseBuilder } from "../../../responses/index.ts";
import type { AppEnv, ServerContext } from "../../context.ts";
import { type Prepared, prepare } from "./prepare.ts";
import { recordConversation, storeResponse } from "./save.ts";

type Request = z.infer<typeof CreateResponseRequest>;
type Done = Extract<TurnEvent, { type: "done" }>;

export async function createResponse(
  c: Context<AppEnv>,
  ctx: ServerContext,
  req: Request,
): Promise<Response> {
  const p = c.get("principal");
  const head = { id: newId("resp"), created_at: Math.floor(Date.now() / 1000) };
  const prep = prepare(ctx, p, req, head);
  const abort = new AbortController();
  const signal = AbortSignal.any([abort.signal, c.req.raw.signal]);
  const builder = new ResponseBuilder(prep.head, {
    query: prep.query,
    includeResults: prep.includeResults,
  });
  const events = runTurn(
    { inference: ctx.chat, knowledge: ctx.knowledge },
    { ...prep.turn, signal },
  );

  /** Stores what is kept and makes the last event (response.completed or .incomplete). */
  const finish = (done: Done | null): ResponseStreamEvent => {
    if (!done || !builder.ended)
      throw new TailorError({
        code: "internal",
        message: "the answer ended before it was complete",
      });
    const last = builder.finish(recordConversation(ctx, p, prep, done));
    storeResponse(ctx, p, prep, done, builder);
    ctx.usage.answered({
      model: prep.assistant?.settings.model ?? req.model,
      resolvedModel: prep.turn.model.name,
      channel: "responses",
      answer: done.text,
      asked: prep.store ? (prep.input.questions.at(-1) ?? null) : null,
    });
    return last;
  };

  if (!req.stream) {
    builder.start();
    let done: Done | null = null;
    for await (const ev of events) {
      builder.push(ev);
      if (ev.type === "done") done = ev;
    }
    if (signal.aborted) throw new TailorError({ code: "cancelled", message: "request cancelled" });
    finish(done);
    return c.json(builder.response(), 200);
  }

  return streamSSE(c, async (stream) => {
    // A client that goes away stops the turn at once, whatever the loop below waits on (a write
    // to a closed connection may never settle).
    const gone = new Promise<void>((resolve) =>
      signal.addEventListener("abort", () => resolve(), { once: true }),
    );
    const stop = () => {
      abort.abort();
      void events.return(undefined);
    };
    stream.onAbort(stop);
    signal.addEventListener("abort", stop, { once: true });
    const send = (e: ResponseStreamEvent) =>
      signal.aborted
        ? Promise.resolve()
        : Promise.race([stream.writeSSE({ event: e.type, data: JSON.stringify(e) }), gone]);
    try {
      for (const e of builder.start()) await send(e);
      let done: Done | null = null;
      for await (const ev of events) {
        for (const e of builder.push(ev)) await send(e);
        if (ev.type === "done") done = ev;
      }
      if (signal.aborted) return;
      await send(finish(done));
    } catch (e) {
      await send(builder.fail(streamError(e, prep)));
    }
  });
}

/** An error in the stream's `error` event: a TailorError as it is, anything else unnamed (logged). */
function streamError(e: unknown, prep: Prepared) {
  if (isTailorError(e))
    return {
      code: e.code,
      message: e.message,
      param: typeof e.details.field === "string" ? e.details.field : null,
    };
  console.error(`response ${prep.head.id}:`, e);
  return {
    code: "server_error",
    message: "internal error; the server log has the details",
    param: null,
  };
}
