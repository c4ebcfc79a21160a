/**
 * One answer on a share page, as the runner needs it: the assistant's current version run with its
 * owner's rights (model, knowledge bases), its HTTP functions behind the network guard, its
 * moderation policy, and every function call and flag in the audit log under the visitor's name.
 * Client functions are left out: a visitor's browser runs no functions.
 */
import type { RuntimeAssistant, TurnRequest } from "../../assistants/index.ts";
import type { AuditInput } from "../../auth/index.ts";
import { ownerScope } from "../../auth/index.ts";
import { moderationFor } from "../../safety/moderation/index.ts";
import type { ServerContext } from "../context.ts";
import { auditFunctionCall } from "../routes/assistants/index.ts";
import { moderationDeps } from "../routes/moderation/deps.ts";
import { ownerPrincipal, type Visitor } from "./access.ts";

/** The conversation the model reads at most (the newest messages), to keep prompts bounded. */
export const HISTORY_MESSAGES = 20;

export type ShareTurn = Omit<TurnRequest, "messages" | "signal">;

/** Who asked, as the audit log names a share page's visitor. */
export function visitorAsker(v: Visitor): Pick<AuditInput, "keyId" | "owner" | "role" | "client"> {
  return {
    keyId: v.key?.keyId ?? null,
    owner: v.assistant.owner,
    role: v.key?.role ?? null,
    client: `visitor:${v.id}`,
  };
}

export function shareTurn(
  ctx: ServerContext,
  v: Visitor,
  runtime: RuntimeAssistant,
  requestId: string,
): ShareTurn {
  const s = runtime.settings;
  const owner = ownerPrincipal(ctx, v.assistant);
  const model = ctx.access.resolve(owner, s.model);
  const functions = s.functions.filter((f) => f.kind === "http");
  const choice = s.tool_choice;
  const toolChoice =
    functions.length === 0
      ? "none"
      : typeof choice === "object" && !functions.some((f) => f.name === choice.name)
        ? "auto" // it names a client function, which is not offered here
        : choice;
  const scope = ownerScope(owner);
  const storeIds =
    owner.role === "viewer"
      ? []
      : s.knowledge.vector_store_ids.filter((id) => ctx.knowledge.store.find(id, scope) !== null);
  const asker = visitorAsker(v);
  const moderation = moderationFor(
    moderationDeps(ctx, asker, { request: requestId, assistant: runtime.id, model: s.model }),
    { model: s.model, keyId: asker.keyId, owner: runtime.owner, requestId },
    s.moderation_policy ?? undefined,
  );
  return {
    model,
    instructions: s.instructions,
    sampling: s.sampling,
    functions,
    toolChoice,
    maxFunctionCalls: s.max_function_calls,
    network: { allowedHosts: s.allowed_hosts, privateHosts: ctx.functionPrivateHosts },
    knowledge: storeIds.length > 0 ? { storeIds, maxPassages: s.knowledge.max_passages } : null,
    moderation,
    // one call at a time: each is counted against max_function_calls and its result read first
    parallelToolCalls: false,
    onFunctionCall: (call, fn) => auditFunctionCall(ctx, asker, runtime.id, call, fn),
  };
}

/** The newest messages of the history, starting with a question. */
export function recent<T extends { role: string }>(history: T[]): T[] {
  const tail = history.slice(-HISTORY_MESSAGES);
  while (tail.length > 1 && tail[0]?.role !== "user") tail.shift();
  return tail;
}
