/**
 * A chat line as OpenAI's fine-tuning takes it: messages, and optionally the functions offered
 * (`tools`, `parallel_tool_calls`, or the legacy `functions` with `function_call` and role
 * "function" messages, turned into the tools form).
 */
import { z } from "zod";
import {
  type ChatMessage,
  ChatMessage as ChatMessageSchema,
  Tool,
} from "../../../protocol/index.ts";
import {
  checkToolDefinitions,
  fromLegacyFunctions,
  fromLegacyMessages,
  type ToolProblem,
} from "../../tools/index.ts";
import { checkConversation, type DataRecord, type Example } from "./records.ts";
import { checkToolUse } from "./tool-use.ts";
import { fromZod } from "./zod-problem.ts";

const InputMessage = ChatMessageSchema.extend({
  role: z.enum(["system", "user", "assistant", "tool", "function"]),
  /** Legacy: the function a role "function" message is the result of. */
  name: z.string().optional(),
  /** Legacy: the assistant's one call. */
  function_call: z.object({ name: z.string().min(1), arguments: z.string() }).optional(),
});

const ChatLine = z.object({
  messages: z.array(InputMessage).min(1),
  // checked by checkToolDefinitions, which names the field and says what the schema validator said
  tools: z.unknown().optional(),
  functions: z.unknown().optional(),
  parallel_tool_calls: z.boolean().optional(),
});

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** An assistant that calls functions may leave content out or null, as OpenAI writes it. */
function withCallContent(value: Record<string, unknown>): Record<string, unknown> {
  const messages = value.messages;
  if (!Array.isArray(messages)) return value;
  return {
    ...value,
    messages: messages.map((m: unknown) =>
      isObject(m) &&
      (m.content === undefined || m.content === null) &&
      ((Array.isArray(m.tool_calls) && m.tool_calls.length > 0) || isObject(m.function_call))
        ? { ...m, content: "" }
        : m,
    ),
  };
}

/** Only what the engine's message has (a user's `name`, a stray `tool_call_id` are dropped). */
const chatMessage = (m: {
  role: string;
  content: string;
  weight?: 0 | 1 | undefined;
  tool_calls?: ChatMessage["tool_calls"];
  tool_call_id?: string | undefined;
}): ChatMessage => ({
  // role "function" only occurs in legacy lines, and fromLegacyMessages made those "tool"
  role: m.role as ChatMessage["role"],
  content: m.content,
  ...(m.weight !== undefined ? { weight: m.weight } : {}),
  ...(m.tool_calls ? { tool_calls: m.tool_calls } : {}),
  ...(m.role === "tool" && m.tool_call_id !== undefined ? { tool_call_id: m.tool_call_id } : {}),
});

function toolsProblem(line: number, p: ToolProblem): DataRecord {
  return { kind: "problem", line, code: "invalid_tools", field: p.field, message: p.message };
}

/** One chat line (already JSON, with `messages`): an example, or what is wrong with it. */
export function parseChatLine(raw: Record<string, unknown>, line: number): DataRecord {
  const value = withCallContent(raw);
  const parsed = ChatLine.safeParse(value);
  if (!parsed.success) return fromZod(parsed.error, line, value);
  const { messages, tools, functions, parallel_tool_calls } = parsed.data;
  const legacy =
    functions !== undefined ||
    messages.some((m) => m.role === "function" || m.function_call !== undefined);
  if (tools !== undefined && functions !== undefined)
    return toolsProblem(line, {
      field: "functions",
      message: "is given together with tools; write the functions once, in tools",
    });

  let offered: Example["tools"];
  if (functions !== undefined) {
    if (!Array.isArray(functions))
      return toolsProblem(line, {
        field: "functions",
        message:
          'must be an array of functions, e.g. [{"name": "get_order_status", "parameters": {...}}]',
      });
    const wrapped = fromLegacyFunctions(functions).tools;
    const p = checkToolDefinitions(wrapped, "functions");
    // named as the line writes them: functions[1].parameters, not functions[1].function.parameters
    if (p)
      return toolsProblem(line, {
        ...p,
        field: p.field.replace(/^(functions\[\d+\])\.function/, "$1"),
      });
    offered = z.array(Tool).parse(wrapped);
  } else if (tools !== undefined) {
    const p = checkToolDefinitions(tools, "tools");
    if (p) return toolsProblem(line, p);
    offered = z.array(Tool).parse(tools);
  }

  const example: Example = {
    messages: (legacy ? fromLegacyMessages(messages) : messages).map(chatMessage),
    ...(offered ? { tools: offered } : {}),
    ...(parallel_tool_calls !== undefined ? { parallel_tool_calls } : {}),
  };
  const problem = checkConversation(example.messages) ?? checkToolUse(example, legacy);
  return problem ? { kind: "problem", line, ...problem } : { kind: "example", line, example };
}
