/**
 * OpenAI's legacy function calling (`functions`, `function_call`, role "function" results) in the
 * `tools` form, the one Tailor stores, trains on and serves.
 */
import type { ToolCall, ToolChoice, ToolFunction } from "../../protocol/index.ts";

/**
 * `functions` as `tools`, and a request's `function_call` ("auto", "none" or `{name}`) as
 * `tool_choice`. The functions are wrapped, not checked: checkToolDefinitions does that (its fields
 * read `functions[i].function.…`; drop the `.function` to name them as the caller wrote them).
 */
export function fromLegacyFunctions<F = ToolFunction>(
  functions: readonly F[],
  function_call?: "auto" | "none" | { name: string },
): { tools: { type: "function"; function: F }[]; tool_choice?: ToolChoice } {
  const tools = functions.map((f) => ({ type: "function" as const, function: f }));
  if (function_call === undefined) return { tools };
  const tool_choice: ToolChoice =
    typeof function_call === "string"
      ? function_call
      : { type: "function", function: { name: function_call.name } };
  return { tools, tool_choice };
}

export interface LegacyMessage {
  role: string;
  content?: string | null | undefined;
  /** On role "function": the function whose result this is. */
  name?: string | undefined;
  function_call?: { name: string; arguments: string } | undefined;
  tool_calls?: ToolCall[] | undefined;
  tool_call_id?: string | undefined;
}

export type ToolsFormMessage<M extends LegacyMessage> = Omit<
  M,
  "role" | "name" | "function_call" | "content" | "tool_calls" | "tool_call_id"
> & {
  role: Exclude<M["role"], "function"> | "tool";
  content: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
};

/**
 * Messages in the `tools` form: an assistant's `function_call` becomes a one-call `tool_calls` with
 * the id `call_<n>` (numbered in order, so the same conversation always gets the same ids), and a
 * role "function" message becomes a tool message answering the latest unanswered call to that
 * function (without `tool_call_id` when there is none: the checks say so).
 */
export function fromLegacyMessages<M extends LegacyMessage>(messages: M[]): ToolsFormMessage<M>[] {
  const taken = new Set(messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.id)));
  let n = 0;
  const nextId = () => {
    let id: string;
    do id = `call_${++n}`;
    while (taken.has(id));
    return id;
  };
  const unanswered: { id: string; name: string }[] = [];
  return messages.map((m) => {
    const { role, name, function_call, content, tool_calls, tool_call_id, ...rest } = m;
    const out = { ...rest, role, content: content ?? "" } as ToolsFormMessage<M>;
    if (tool_calls) out.tool_calls = tool_calls;
    if (tool_call_id !== undefined) out.tool_call_id = tool_call_id;
    if (function_call) {
      const id = nextId();
      out.tool_calls = [...(tool_calls ?? []), { id, type: "function", function: function_call }];
      unanswered.push({ id, name: function_call.name });
    }
    if (role === "function") {
      out.role = "tool";
      const i = unanswered.findLastIndex((c) => c.name === name);
      const call = i >= 0 ? unanswered.splice(i, 1)[0] : undefined;
      if (call) out.tool_call_id = call.id;
    }
    return out;
  });
}
