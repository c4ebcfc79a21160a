import { checkCallArguments } from "../../tools/index.ts";
import type { Example, ProblemCode } from "./records.ts";

type Problem = { code: ProblemCode; field: string; message: string };

/**
 * Whether the functions in a conversation are used as a model could learn from them: every call is
 * to a defined function with arguments valid against its parameters, every result answers an
 * earlier call, and every call is answered before the conversation goes on (the last turn's calls
 * may stay open: the call is then the answer to learn). `legacy`: the line was written with
 * `functions` / `function_call`, so fields and advice are named that way.
 */
export function checkToolUse(e: Example, legacy = false): Problem | null {
  const pending = new Map<string, { at: string; name: string }>();
  const answered = new Set<string>();
  const seen = new Set<string>();
  const callField = (i: number, j: number) =>
    legacy ? `messages[${i}].function_call` : `messages[${i}].tool_calls[${j}]`;
  const resultHow = (id: string, name: string) =>
    legacy
      ? `add {"role": "function", "name": "${name}", "content": <its result>} after it`
      : `add {"role": "tool", "tool_call_id": "${id}", "content": <its result>} after it`;

  for (const [i, m] of e.messages.entries()) {
    if (m.role !== "tool") {
      const open = pending.entries().next();
      if (!open.done) {
        const [id, call] = open.value;
        const next = m.role === "assistant" ? "next assistant turn" : `next ${m.role} turn`;
        return {
          code: "unanswered_call",
          field: call.at,
          message: `the call to ${call.name} gets no result before the ${next} (messages[${i}]); ${resultHow(id, call.name)}`,
        };
      }
    }
    if (m.tool_calls && m.role !== "assistant")
      return {
        code: "misplaced_tool_calls",
        field: `messages[${i}].tool_calls`,
        message: `is on a ${m.role} message; only assistant messages call functions`,
      };
    if (m.role === "assistant" && m.tool_calls) {
      if (!e.tools)
        return {
          code: "no_tools",
          field: legacy ? `messages[${i}].function_call` : `messages[${i}].tool_calls`,
          message: `calls ${m.tool_calls[0]?.function.name ?? "a function"} but the line defines no functions; add a top-level ${legacy ? '"functions"' : '"tools"'} array describing each function the model may call`,
        };
      if (e.parallel_tool_calls === false && m.tool_calls.length > 1)
        return {
          code: "misplaced_tool_calls",
          field: `messages[${i}].tool_calls`,
          message: `has ${m.tool_calls.length} calls in one turn but parallel_tool_calls is false; make one call per turn, or set parallel_tool_calls to true`,
        };
      for (const [j, call] of m.tool_calls.entries()) {
        const at = callField(i, j);
        if (seen.has(call.id))
          return {
            code: "duplicate_call_id",
            field: `${at}.id`,
            message: `"${call.id}" is already the id of an earlier call in this conversation; give each call its own id`,
          };
        seen.add(call.id);
        const problem = checkCallArguments(e.tools, call.function, legacy ? at : `${at}.function`);
        if (problem)
          return {
            code: problem.code === "unknown_function" ? "unknown_function" : "invalid_arguments",
            field: problem.field,
            message: legacy
              ? problem.message.replace("to the tools", "to functions")
              : problem.message,
          };
        pending.set(call.id, { at, name: call.function.name });
      }
    }
    if (m.role === "tool") {
      const id = m.tool_call_id;
      const field = legacy ? `messages[${i}].name` : `messages[${i}].tool_call_id`;
      if (id === undefined)
        return legacy
          ? {
              code: "unmatched_tool_result",
              field,
              message:
                "is the result of a function no earlier function_call called (or one already answered); put it right after the assistant's function_call",
            }
          : {
              code: "missing_field",
              field,
              message:
                "is missing; say which call this is the result of (the id of an earlier assistant tool_calls entry)",
            };
      if (!pending.delete(id))
        return {
          code: "unmatched_tool_result",
          field,
          message: answered.has(id)
            ? `answers call "${id}" a second time; each call gets one result`
            : `"${id}" is the id of no earlier call; use the id of the assistant tool_calls entry this is the result of`,
        };
      answered.add(id);
    }
  }
  return null;
}
