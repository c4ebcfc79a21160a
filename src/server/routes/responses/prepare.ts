/**
 * A Responses request made ready to answer: who answers (a model the caller may use, or their
 * assistant `asst_…`: its model, instructions, sampling, functions, knowledge, moderation policy
 * and allowed hosts), the conversation so far (`previous_response_id`, the caller's own), the new
 * input, and what the response will say of the request.
 *
 * With an assistant, the request's `instructions` come after the assistant's (they add to them,
 * never replace them); the request's sampling values win over the assistant's defaults; its
 * `tools` come beside the assistant's functions (HTTP ones run by the server, audited); its
 * `tool_choice` replaces the assistant's.
 */
import type { z } from "@hono/zod-openapi";
import type { CreateResponseRequest } from "../../../../protocol/api/responses.ts";
import type { ChatMessage } from "../../../../protocol/index.ts";
import type { RuntimeAssistant, TurnRequest } from "../../../assistants/index.ts";
import { refuseClassifier } from "../../../models/index.ts";
import type { ResponseHead, StoredResponse } from "../../../responses/index.ts";
import { type ReadInput, readInput } from "../../../responses/index.ts";
import { type ChatModeration, moderationFor } from "../../../safety/moderation/index.ts";
import { ownerScope, type Principal, type ServerContext } from "../../context.ts";
import { notFound } from "../../errors.ts";
import { auditFunctionCall } from "../assistants/index.ts";
import { moderationDeps } from "../moderation/deps.ts";
import { requestTools, responseFormatOf, toolChoiceOf, toolChoiceView } from "./tools.ts";

type Request = z.infer<typeof CreateResponseRequest>;

/** OpenAI's sampling defaults, and the answer's length when nothing says (as chat completions). */
const MODEL_SAMPLING = { temperature: 1, top_p: 1, top_k: 0, max_tokens: 512 };

export interface Prepared {
  turn: Omit<TurnRequest, "signal">;
  head: ResponseHead;
  assistant: RuntimeAssistant | null;
  previous: StoredResponse | null;
  /** The conversation before this input (the previous response's). */
  history: ChatMessage[];
  input: ReadInput;
  /** The last question (what retrieval searches for). */
  query: string;
  includeResults: boolean;
  store: boolean;
}

/** The caller's stored response, or the same 404 as none (others' responses are not theirs). */
export function ownedResponse(
  ctx: ServerContext,
  p: Principal,
  id: string,
  field = "response_id",
): StoredResponse {
  const r = ctx.responses.find(id);
  const scope = ownerScope(p);
  if (!r || (scope !== undefined && r.owner !== scope)) throw notFound("response", id, field);
  return r;
}

/** The caller's assistant (members their own, admins all), or a 404 on `model`. */
function ownedAssistant(ctx: ServerContext, p: Principal, id: string): RuntimeAssistant {
  const a = ctx.assistants.find(id);
  const scope = ownerScope(p);
  if (!a || (scope !== undefined && a.owner !== scope)) throw notFound("assistant", id, "model");
  return ctx.assistants.runtime(id);
}

export function prepare(
  ctx: ServerContext,
  p: Principal,
  req: Request,
  head: { id: string; created_at: number },
): Prepared {
  const assistant = req.model.startsWith("asst_") ? ownedAssistant(ctx, p, req.model) : null;
  const s = assistant?.settings;
  const modelName = s?.model ?? req.model;
  const model = ctx.access.resolve(p, modelName);
  refuseClassifier(model);

  const previous = req.previous_response_id
    ? ownedResponse(ctx, p, req.previous_response_id, "previous_response_id")
    : null;
  const history = previous?.messages ?? [];
  const input = readInput(req.input, history);

  const tools = requestTools(
    ctx,
    p,
    req.tools,
    assistant ? { names: s?.functions.map((f) => f.name) ?? [], assistantId: assistant.id } : null,
  );
  const functions = [...(s?.functions ?? []), ...tools.functions];
  const scope = ownerScope(p);
  const ownStores = (s?.knowledge.vector_store_ids ?? []).filter(
    (id) => ctx.knowledge.store.find(id, scope) !== null,
  );
  const storeIds = [...new Set([...ownStores, ...(tools.knowledge?.storeIds ?? [])])];
  const maxPassages = Math.max(
    ownStores.length ? (s?.knowledge.max_passages ?? 0) : 0,
    tools.knowledge?.maxPassages ?? 0,
  );
  const toolChoice = toolChoiceOf(
    req.tool_choice,
    functions,
    storeIds.length > 0,
    s?.tool_choice ?? "auto",
  );

  const base = s?.sampling ?? MODEL_SAMPLING;
  const sampling = {
    temperature: req.temperature ?? base.temperature,
    top_p: req.top_p ?? base.top_p,
    top_k: req.tailor?.top_k ?? base.top_k,
    max_tokens: req.max_output_tokens ?? base.max_tokens,
    ...(req.tailor?.seed !== undefined ? { seed: req.tailor.seed } : {}),
  };
  const instructions = [s?.instructions ?? "", req.instructions ?? ""]
    .filter((t) => t.trim())
    .join("\n\n");
  const responseFormat = responseFormatOf(req.text?.format);
  const asker = { keyId: p.keyId, owner: p.owner, role: p.role };
  const messages = [...history, ...input.messages];

  return {
    turn: {
      model,
      instructions,
      messages,
      sampling,
      functions,
      toolChoice,
      maxFunctionCalls: s ? Math.min(s.max_function_calls, req.max_tool_calls ?? Infinity) : 0,
      network: { allowedHosts: s?.allowed_hosts ?? [], privateHosts: ctx.functionPrivateHosts },
      knowledge: storeIds.length ? { storeIds, maxPassages } : null,
      moderation: moderation(ctx, p, { model: modelName, assistant, requestId: head.id }),
      ...(responseFormat ? { responseFormat } : {}),
      parallelToolCalls: req.parallel_tool_calls ?? true,
      onFunctionCall: (call, fn) => auditFunctionCall(ctx, asker, assistant?.id ?? null, call, fn),
    },
    head: {
      ...head,
      model: req.model,
      instructions: req.instructions ?? null,
      max_output_tokens: sampling.max_tokens,
      parallel_tool_calls: req.parallel_tool_calls ?? true,
      previous_response_id: previous?.id ?? null,
      temperature: sampling.temperature,
      top_p: sampling.top_p,
      tool_choice: req.tool_choice ?? toolChoiceView(toolChoice),
      tools: tools.views,
      text: { format: req.text?.format ?? { type: "text" } },
      store: req.store ?? true,
      metadata: req.metadata ?? {},
      assistant: assistant ? { id: assistant.id, version: assistant.version } : null,
    },
    assistant,
    previous,
    history,
    input,
    query:
      [...messages]
        .reverse()
        .find((m) => m.role === "user")
        ?.content.trim() ?? "",
    includeResults: req.include?.includes("file_search_call.results") ?? false,
    store: req.store ?? true,
  };
}

/**
 * The policies this answer is under: those attached to the model and to the key, as on chat
 * completions, and the assistant's own; each flag also in the audit log.
 */
function moderation(
  ctx: ServerContext,
  p: Principal,
  on: { model: string; assistant: RuntimeAssistant | null; requestId: string },
): ChatModeration | null {
  const { model, assistant, requestId } = on;
  return moderationFor(
    moderationDeps(
      ctx,
      { keyId: p.keyId, owner: p.owner, role: p.role },
      { request: requestId, model, ...(assistant ? { assistant: assistant.id } : {}) },
    ),
    { model, keyId: p.keyId, owner: assistant?.owner ?? p.owner, requestId },
    assistant?.settings.moderation_policy ?? undefined,
  );
}
