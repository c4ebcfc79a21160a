/**
 * The playground's functions and structured outputs: the conversation with calls and their results,
 * as the chat API takes it, and what the Tools panel offers the model.
 */
import type { ChatChunk, Citation } from "../../api.ts";

/** A function the model called, as the API's `tool_calls` carry it (arguments: JSON text). */
export interface Call {
  id: string;
  name: string;
  arguments: string;
}

export interface Turn {
  role: "user" | "assistant" | "tool";
  content: string;
  /** An assistant's calls, which wait for the user to type their results. */
  calls?: Call[];
  /** A tool turn: the call it answers, and that call's function. */
  callId?: string;
  name?: string;
  /** The passages the answer was given (with "Use my documents"). */
  citations?: Citation[];
  /** Retrieval found nothing relevant. */
  nothingFound?: boolean;
  /** An answer's stored completion (asked with `store: true`), for its feedback. */
  completionId?: string;
}

export type Format = "text" | "json_object" | "json_schema";

/** What the Tools panel holds: texts as the user typed them, checked before sending. */
export interface ToolsState {
  /** A JSON array of OpenAI tools ("" for none). */
  tools: string;
  /** auto, none, required, or a function's name. */
  choice: string;
  format: Format;
  /** The JSON Schema, when format is json_schema. */
  schema: string;
}

export const NO_TOOLS: ToolsState = { tools: "", choice: "auto", format: "text", schema: "" };

/** What a request adds for functions and structured outputs (nothing when the panel is empty). */
export interface Offer {
  tools?: unknown[];
  tool_choice?: string | { type: "function"; function: { name: string } };
  response_format?: Record<string, unknown>;
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${what} is not JSON: ${(e as Error).message}`);
  }
}

/** The function names of a tools text, or an error saying what is wrong with it. */
export function checkTools(text: string): { names: string[]; error: string | null } {
  if (!text.trim()) return { names: [], error: null };
  try {
    const value = parse(text, "The tools");
    if (!Array.isArray(value))
      return { names: [], error: 'The tools must be a JSON array: [{"type": "function", …}]' };
    const names: string[] = [];
    for (const [i, t] of value.entries()) {
      const name = (t as { function?: { name?: unknown } } | null)?.function?.name;
      if ((t as { type?: unknown } | null)?.type !== "function" || typeof name !== "string")
        return {
          names,
          error: `Tool ${i + 1} needs "type": "function" and a "function" with a "name".`,
        };
      names.push(name);
    }
    return { names, error: null };
  } catch (e) {
    return { names: [], error: (e as Error).message };
  }
}

/** The request fields of the panel; throws, in words, when a text in it is not valid JSON. */
export function offer(s: ToolsState): Offer {
  const out: Offer = {};
  const { names, error } = checkTools(s.tools);
  if (error) throw new Error(error);
  if (names.length) {
    out.tools = parse(s.tools, "The tools") as unknown[];
    if (s.choice !== "auto")
      out.tool_choice = ["none", "required"].includes(s.choice)
        ? s.choice
        : { type: "function", function: { name: s.choice } };
  }
  if (s.format === "json_object") out.response_format = { type: "json_object" };
  if (s.format === "json_schema") {
    const schema = parse(s.schema || "{}", "The JSON schema");
    out.response_format = {
      type: "json_schema",
      json_schema: { name: "answer", schema, strict: true },
    };
  }
  return out;
}

/** The turns as the chat API's messages: calls as `tool_calls`, results as `tool` messages. */
export function apiMessages(system: string, turns: Turn[]): Record<string, unknown>[] {
  return [
    ...(system ? [{ role: "system", content: system }] : []),
    ...turns.map((t) =>
      t.role === "tool"
        ? { role: "tool", tool_call_id: t.callId, content: t.content }
        : t.calls?.length
          ? {
              role: "assistant",
              content: t.content || null,
              tool_calls: t.calls.map((c) => ({
                id: c.id,
                type: "function",
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : { role: t.role, content: t.content },
    ),
  ];
}

/** A streamed piece of a call (`delta.tool_calls[i]`): the first has id and name. */
export type CallFragment = NonNullable<ChatChunk["choices"][number]["delta"]["tool_calls"]>[number];

/** The calls so far with streamed fragments added (fragments of call `index` join in order). */
export function addFragments(calls: Call[], fragments: CallFragment[]): Call[] {
  const next = [...calls];
  for (const f of fragments) {
    const was = next[f.index] ?? { id: "", name: "", arguments: "" };
    next[f.index] = {
      id: f.id ?? was.id,
      name: was.name + (f.function?.name ?? ""),
      arguments: was.arguments + (f.function?.arguments ?? ""),
    };
  }
  return next;
}

/** The calls of the last answer that still wait for a result (none: the model answered). */
export function waiting(turns: Turn[]): Call[] {
  const last = turns.findLastIndex((t) => t.role === "assistant");
  const calls = turns[last]?.calls ?? [];
  const answered = new Set(turns.slice(last + 1).map((t) => t.callId));
  return calls.filter((c) => !answered.has(c.id));
}

/** Arguments as indented JSON (as they came when they are not JSON). */
export function pretty(args: string): string {
  try {
    return JSON.stringify(JSON.parse(args), null, 2);
  } catch {
    return args;
  }
}
