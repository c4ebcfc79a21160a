/**
 * One answer of an assistant (the share page's, or `/v1/responses`'s): the question checked by the
 * moderation policy, the instructions and the knowledge's passages put in the system message, then
 * generations until the model answers: each HTTP function it calls is called here and its result
 * given back to it (up to `maxFunctionCalls` per answer), client functions end the answer with
 * `tool_calls` for the caller to run.
 *
 * Output moderation is simple and safe: when the policy checks answers, no unchecked text is
 * streamed. Each generation's text and calls are checked once complete (before any call is made, so
 * blocked arguments never reach an endpoint), and the answer's text comes as one `text` event at the
 * end, or as `filtered` with finish_reason `content_filter` when a policy blocked it. (The chat
 * completions route's StreamGuard, which releases checked text while it streams, is for that route.)
 *
 * Events, in order: `filtered` + `done` when the question is blocked (nothing generated); otherwise
 * `sources` (when the request has knowledge), then `text` deltas interleaved with `function_call` /
 * `function_result` pairs (one per HTTP call made), then `done`. Aborting `req.signal` stops the
 * generation and any HTTP call, and the iterator ends quietly (no `done`).
 *
 * Each generation has the sampling's `max_tokens` (a call counts: its JSON is generated text). One
 * cut by it ends the answer with `length`, and the calls it wrote are not made (the last may be cut
 * short). The texts of several generations are joined by a blank line.
 */
import type { FunctionCallRecord } from "../../../protocol/assistants.ts";
import type { ChatMessage } from "../../../protocol/index.ts";
import type { Citation, KnowledgeBase } from "../../knowledge/index.ts";
import type { ChatEngine } from "../../serving/index.ts";
import { callHttpFunction } from "../http/index.ts";
import type { ClientCall, TurnEvent, TurnFinish, TurnRequest } from "../types.ts";
import { ground, withInstructions } from "./prepare.ts";
import { generateRequest, generateStep } from "./step.ts";
import { callId, clientRecord, engineTools, limitRecord, offer, unknownRecord } from "./tools.ts";

export interface TurnDeps {
  /** What answers: the serving router (llama.cpp or the PyTorch engine, per request). */
  inference: ChatEngine;
  knowledge: KnowledgeBase;
  /** Calls an HTTP function (default: callHttpFunction, behind the network guard). */
  callFunction?: typeof callHttpFunction | undefined;
}

/** Between the texts of two generations of one answer (before and after function calls). */
const SEPARATOR = "\n\n";

export async function* runTurn(deps: TurnDeps, req: TurnRequest): AsyncGenerator<TurnEvent> {
  try {
    yield* turn(deps, req);
  } catch (e) {
    if (req.signal.aborted) return; // an abort may surface as an error from whatever was waiting
    throw e;
  }
}

async function* turn(deps: TurnDeps, req: TurnRequest): AsyncGenerator<TurnEvent> {
  const { signal, moderation } = req;
  const usage = { input_tokens: 0, output_tokens: 0 };
  const records: FunctionCallRecord[] = [];
  const clientCalls: ClientCall[] = [];
  let sources: Citation[] = [];
  const done = (text: string, finish_reason: TurnFinish): TurnEvent => ({
    type: "done",
    text,
    finish_reason,
    client_calls: finish_reason === "tool_calls" ? clientCalls : [],
    function_calls: records,
    sources,
    usage,
  });

  let messages = req.messages;
  if (moderation) {
    const asked = await moderation.checkInput(messages, signal);
    if (signal.aborted) return;
    if (asked.refusal !== null) {
      yield { type: "filtered", refusal: asked.refusal };
      yield done(asked.refusal, "content_filter");
      return;
    }
    messages = asked.messages;
  }
  messages = withInstructions(req.instructions, messages);
  if (req.knowledge?.storeIds.length) {
    const g = await ground(deps, req, messages, engineTools(req.functions));
    if (signal.aborted) return;
    messages = g.messages;
    sources = g.citations;
    yield { type: "sources", citations: g.citations, found: g.found };
  }

  const checked = moderation?.active("output") ?? false;
  const call = deps.callFunction ?? callHttpFunction;
  let text = "";
  /** The answer's end: its checked text whole (when it was not streamed), then done. */
  function* end(finish: TurnFinish): Generator<TurnEvent> {
    if (checked && text) yield { type: "text", delta: text };
    yield done(text, finish);
  }
  let httpCalls = 0;
  // Each generation but the last makes an HTTP call, so a model that follows tool_choice needs
  // maxFunctionCalls + 1 of them; one more for calls of unknown names, and never more than that.
  const maxGenerations = req.maxFunctionCalls + 2;
  for (let generation = 1; ; generation++) {
    const tools = offer(req.functions, req.toolChoice, {
      first: generation === 1,
      limitReached: httpCalls >= req.maxFunctionCalls,
    });
    const step = yield* generateStep(deps.inference, generateRequest(req, messages, tools), {
      signal,
      stream: !checked,
      prefix: text ? SEPARATOR : "",
    });
    if (!step) return;
    usage.input_tokens += step.prompt_tokens;
    usage.output_tokens += step.completion_tokens;
    let choice = step.choice;
    if (checked && moderation) {
      choice = await moderation.checkChoice(choice, signal);
      if (signal.aborted) return;
      if ((choice.finish_reason as string) === "content_filter") {
        yield { type: "filtered", refusal: choice.text };
        yield done(choice.text, "content_filter");
        return;
      }
    }
    if (choice.text) text = text ? `${text}${SEPARATOR}${choice.text}` : choice.text;
    // a generation cut by max_tokens ends the answer: the call it was writing may be cut too
    const calls = choice.finish_reason === "length" ? [] : (choice.tool_calls ?? []);
    if (!calls.length) {
      yield* end(choice.finish_reason === "length" ? "length" : "stop");
      return;
    }

    const made: FunctionCallRecord[] = [];
    for (const c of calls) {
      const id = { call_id: callId(), name: c.name, arguments: c.arguments };
      const fn = req.functions.find((f) => f.name === c.name);
      let record: FunctionCallRecord;
      if (!fn) record = unknownRecord(id, req.functions);
      else if (fn.kind === "client") {
        record = clientRecord(id);
        clientCalls.push(id);
      } else if (httpCalls >= req.maxFunctionCalls) record = limitRecord(id, req.maxFunctionCalls);
      else {
        httpCalls++;
        yield { type: "function_call", ...id };
        if (signal.aborted) return;
        record = await call(
          fn,
          { call_id: id.call_id, arguments: id.arguments },
          req.network,
          signal,
        );
        req.onFunctionCall?.(record, fn); // audited even when cancelled: the request may have gone
        if (signal.aborted) return;
        yield { type: "function_result", call: record };
      }
      records.push(record);
      made.push(record);
    }
    if (clientCalls.length) {
      yield* end("tool_calls");
      return;
    }
    if (generation >= maxGenerations) {
      yield* end("stop");
      return;
    }
    messages = [...messages, ...exchange(choice.text, made)];
  }
}

/** The assistant's calls and their results, as the conversation goes on with them. */
function exchange(text: string, made: FunctionCallRecord[]): ChatMessage[] {
  return [
    {
      role: "assistant",
      content: text,
      tool_calls: made.map((r) => ({
        id: r.call_id,
        type: "function" as const,
        function: { name: r.name, arguments: r.arguments },
      })),
    },
    ...made.map((r): ChatMessage => ({ role: "tool", content: r.output, tool_call_id: r.call_id })),
  ];
}
