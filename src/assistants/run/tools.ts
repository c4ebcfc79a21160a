/**
 * An assistant's functions as the engine takes them, which of them each generation of an answer
 * may call (`tool_choice`), and the records of calls that are not made here: client functions (the
 * caller runs them), calls over the answer's limit, and names the assistant does not have.
 */
import { randomBytes } from "node:crypto";
import type { AssistantToolChoice, FunctionCallRecord } from "../../../protocol/assistants.ts";
import type { Tool, ToolChoice } from "../../../protocol/index.ts";
import type { RuntimeFunction } from "../types.ts";

/** Every function, client and HTTP, as OpenAI's `tools` (undefined when there is none). */
export function engineTools(functions: RuntimeFunction[]): Tool[] | undefined {
  if (!functions.length) return undefined;
  return functions.map((f) => ({
    type: "function" as const,
    function: { name: f.name, description: f.description, parameters: f.parameters },
  }));
}

/** What one generation offers the model. */
export interface Offer {
  tools: Tool[] | undefined;
  tool_choice: ToolChoice;
}

/**
 * The functions and `tool_choice` of one generation. The first generation of an answer follows the
 * assistant's `tool_choice`; later ones (after function results) choose freely ("auto"). Once the
 * answer made its `maxFunctionCalls` HTTP calls, HTTP functions are no longer offered: the model
 * must answer ("none"), or may still call a client function when the assistant has some.
 */
export function offer(
  functions: RuntimeFunction[],
  choice: AssistantToolChoice,
  at: { first: boolean; limitReached: boolean },
): Offer {
  const all = engineTools(functions);
  if (!all) return { tools: undefined, tool_choice: "auto" };
  const wanted = at.first ? choice : "auto";
  if (!at.limitReached) return { tools: all, tool_choice: engineChoice(wanted, all) };
  const client = engineTools(functions.filter((f) => f.kind === "client"));
  if (!client) return { tools: all, tool_choice: "none" };
  return { tools: client, tool_choice: engineChoice(wanted, client) };
}

/** OpenAI's `tool_choice` for the engine; a named function that is not offered: "auto". */
function engineChoice(choice: AssistantToolChoice, tools: Tool[]): ToolChoice {
  if (typeof choice === "string") return choice;
  return tools.some((t) => t.function.name === choice.name)
    ? { type: "function", function: { name: choice.name } }
    : "auto";
}

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A call's id as OpenAI makes them: `call_` and 24 letters and digits. */
export function callId(): string {
  return `call_${[...randomBytes(24)].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join("")}`;
}

type Call = { call_id: string; name: string; arguments: string };

/** A client function's call: returned to the caller, not run here. */
export function clientRecord(call: Call): FunctionCallRecord {
  return {
    ...call,
    kind: "client",
    status: "client",
    http_status: null,
    duration_ms: 0,
    output: "",
  };
}

/** An HTTP call over the answer's limit: not made, and the model told so. */
export function limitRecord(call: Call, max: number): FunctionCallRecord {
  return {
    ...call,
    kind: "http",
    status: "limit",
    http_status: null,
    duration_ms: 0,
    output: `Not called: this answer already made ${max} function call${max === 1 ? "" : "s"}, the most allowed. Answer with what you have.`,
  };
}

/** A call of a function the assistant does not have (constrained decoding makes it rare). */
export function unknownRecord(call: Call, functions: RuntimeFunction[]): FunctionCallRecord {
  const names = functions.map((f) => f.name).join(", ") || "none";
  return {
    ...call,
    kind: "http",
    status: "invalid_arguments",
    http_status: null,
    duration_ms: 0,
    output: `Not called: there is no function named "${call.name}" (the functions are: ${names}).`,
  };
}
