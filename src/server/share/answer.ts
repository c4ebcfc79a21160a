/**
 * POST /a/<slug>/api/conversations/<id>/messages: the visitor's question, answered as server-sent
 * events (ShareEvent in protocol/api/share.ts). The question is stored before the model is asked
 * and the answer once it ends, each with the version that answered; the answer with its sources,
 * function calls and finish reason. A visitor who leaves stops the generation; what was written by
 * then is kept (finish reason "error"), so the owner sees the conversation as it happened.
 */
import { randomBytes } from "node:crypto";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { type ShareEvent, ShareQuestion } from "../../../protocol/api/share.ts";
import type { ConversationMessage, FunctionCallRecord } from "../../../protocol/assistants.ts";
import { runTurn } from "../../assistants/index.ts";
import { isTailorError } from "../../errors/index.ts";
import type { AppEnv } from "../context.ts";
import { admit, type ShareDeps } from "./access.ts";
import { ownConversation } from "./api.ts";
import { readBody } from "./body.ts";
import { recent, shareTurn } from "./turn.ts";
import { shareMessage } from "./view.ts";

type Citation = ConversationMessage["sources"][number];

export function registerAnswers(app: OpenAPIHono<AppEnv>, deps: ShareDeps): void {
  const { ctx } = deps;
  app.post("/a/:slug/api/conversations/:id/messages", async (c) => {
    const v = admit(c, deps, c.req.param("slug"), { question: true });
    const { assistant: a } = v;
    deps.limits.question(c, a.id, a.publication.visitor_requests_per_minute, v.id, v.address);
    const { content } = await readBody(c, ShareQuestion);
    const conv = ownConversation(deps, v, c.req.param("id"));
    const runtime = ctx.assistants.runtime(a.id);
    const retention = runtime.settings.retention_days;
    const requestId = `share-${randomBytes(8).toString("hex")}`;
    // what cannot answer (the model gone, a policy deleted) is refused before the question is kept
    const turn = shareTurn(ctx, v, runtime, requestId);
    const question = ctx.conversations.append(
      conv.id,
      {
        role: "user",
        content,
        version: runtime.version,
        sources: [],
        function_calls: [],
        finish_reason: null,
      },
      retention,
    );
    const messages = recent(ctx.conversations.history(conv.id));

    return streamSSE(c, async (stream) => {
      const abort = new AbortController();
      const signal = AbortSignal.any([abort.signal, c.req.raw.signal as AbortSignal]);
      stream.onAbort(() => abort.abort());
      // a write to a connection that went away may never settle: the abort ends the wait
      const gone = new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => resolve(), { once: true }),
      );
      const send = (ev: ShareEvent) =>
        signal.aborted
          ? Promise.resolve()
          : Promise.race([stream.writeSSE({ data: JSON.stringify(ev) }), gone]);
      let text = "";
      let sources: Citation[] = [];
      const calls: FunctionCallRecord[] = [];
      const keep = (answer: string, finish: string, s: Citation[], f: FunctionCallRecord[]) =>
        ctx.conversations.append(
          conv.id,
          {
            role: "assistant",
            content: answer,
            version: runtime.version,
            sources: s,
            function_calls: f,
            finish_reason: finish,
          },
          retention,
        );

      await send({ type: "question", message: shareMessage(question) });
      try {
        for await (const ev of runTurn(
          { inference: ctx.chat, knowledge: ctx.knowledge },
          { ...turn, messages, signal },
        )) {
          if (ev.type === "sources") {
            sources = ev.citations;
            await send({ type: "sources", sources: ev.citations });
          } else if (ev.type === "text") {
            text += ev.delta;
            await send({ type: "text", delta: ev.delta });
          } else if (ev.type === "function_call") {
            await send({ type: "function_call", call_id: ev.call_id, name: ev.name });
          } else if (ev.type === "function_result") {
            calls.push(ev.call);
            const { call_id, name, status } = ev.call;
            await send({ type: "function_result", call_id, name, status });
          } else if (ev.type === "filtered") {
            text = ev.refusal;
            await send({ type: "filtered", refusal: ev.refusal });
          } else {
            const stored = keep(ev.text, ev.finish_reason, ev.sources, ev.function_calls);
            ctx.usage.answered({
              model: runtime.settings.model,
              resolvedModel: turn.model.name,
              channel: "share",
              answer: ev.text,
              asked: content,
            });
            await send({ type: "done", message: shareMessage(stored) });
            return;
          }
        }
        throw new Error("the answer ended without its last event");
      } catch (e) {
        if (!signal.aborted) console.error(e);
        keep(text, "error", sources, calls);
        await send({
          type: "error",
          message: isTailorError(e)
            ? e.message
            : "The assistant could not answer just now. Please try again in a moment.",
        });
      }
    });
  });
}
