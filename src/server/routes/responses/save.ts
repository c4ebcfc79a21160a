/**
 * What `store: true` (the default) keeps of an answered request: with an assistant, the exchange
 * in a conversation of channel "api" (the caller's key as its visitor; continued when the previous
 * response was the same assistant's and its conversation is still kept), as the owner reads it in
 * the studio; and the response itself, with the conversation as the model read it, for GET and for
 * `previous_response_id`. `store: false` keeps nothing.
 */
import type { ChatMessage } from "../../../../protocol/index.ts";
import type { TurnEvent } from "../../../assistants/index.ts";
import type { ResponseBuilder } from "../../../responses/index.ts";
import type { Principal, ServerContext } from "../../context.ts";
import type { Prepared } from "./prepare.ts";

type Done = Extract<TurnEvent, { type: "done" }>;

/** The conversation this answer goes into (started if needed), or null when none is kept. */
export function recordConversation(
  ctx: ServerContext,
  p: Principal,
  prep: Prepared,
  done: Done,
): string | null {
  const a = prep.assistant;
  if (!prep.store || !a) return null;
  const days = a.settings.retention_days;
  const earlier = prep.previous?.assistantId === a.id ? prep.previous.conversationId : null;
  const id =
    (earlier && ctx.conversations.find(earlier)?.id) ||
    ctx.conversations.start(a.id, "api", p.keyId, days).id;
  const quiet = { version: null, sources: [], function_calls: [], finish_reason: null };
  for (const question of prep.input.questions)
    ctx.conversations.append(id, { role: "user", content: question, ...quiet }, days);
  ctx.conversations.append(
    id,
    {
      role: "assistant",
      content: done.text,
      version: a.version,
      sources: done.sources,
      function_calls: done.function_calls,
      finish_reason: done.finish_reason,
    },
    days,
  );
  return id;
}

/** Keeps the finished response (after `builder.finish`) with the conversation the model read. */
export function storeResponse(
  ctx: ServerContext,
  p: Principal,
  prep: Prepared,
  done: Done,
  builder: ResponseBuilder,
): void {
  if (!prep.store) return;
  const response = builder.response();
  ctx.responses.save({
    id: response.id,
    owner: p.owner,
    keyId: p.keyId,
    createdAt: response.created_at,
    previousId: prep.previous?.id ?? null,
    model: response.model,
    assistantId: prep.assistant?.id ?? null,
    conversationId: response.tailor.assistant?.conversation_id ?? null,
    messages: [...prep.history, ...prep.input.messages, ...answered(done)],
    inputItems: prep.input.items,
    response,
  });
}

/**
 * The answer as the conversation goes on with it: the HTTP functions the server called and their
 * results (what the model was told), then its words and the client functions it called.
 */
function answered(done: Done): ChatMessage[] {
  const ran = done.function_calls.filter((c) => c.kind === "http");
  const call = (c: { call_id: string; name: string; arguments: string }) => ({
    id: c.call_id,
    type: "function" as const,
    function: { name: c.name, arguments: c.arguments },
  });
  return [
    ...(ran.length ? [{ role: "assistant" as const, content: "", tool_calls: ran.map(call) }] : []),
    ...ran.map((c) => ({ role: "tool" as const, content: c.output, tool_call_id: c.call_id })),
    {
      role: "assistant",
      content: done.text,
      ...(done.client_calls.length ? { tool_calls: done.client_calls.map(call) } : {}),
    },
  ];
}
