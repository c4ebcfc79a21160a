/**
 * A chat completion request as the engine takes it: the conversation in the engine's messages,
 * the functions offered (the legacy `functions` form turned into `tools`), and the checks OpenAI
 * makes before generating, each refusal naming its field as OpenAI's `param` does
 * (`tools[1].function.parameters`, `messages[3].tool_call_id`).
 */
import type { z } from "@hono/zod-openapi";
import type { ChatCompletionRequest } from "../../../../protocol/api/index.ts";
import type { ChatMessage, ResponseFormat, Tool, ToolChoice } from "../../../../protocol/index.ts";
import { TailorError } from "../../../errors/index.ts";
import {
  checkJsonSchema,
  checkToolDefinitions,
  fromLegacyFunctions,
  fromLegacyMessages,
} from "../../../tools/index.ts";

type Request = z.infer<typeof ChatCompletionRequest>;
type RequestMessage = Request["messages"][number];

export interface EngineChat {
  messages: ChatMessage[];
  tools?: Tool[];
  tool_choice: ToolChoice;
  parallel_tool_calls: boolean;
  response_format?: ResponseFormat;
  /** The request used the legacy `functions`: answer with `function_call` (one call at most). */
  legacy: boolean;
}

const invalid = (field: string, message: string) =>
  new TailorError({
    code: "invalid_argument",
    message: `${field}: ${message}`,
    details: { field },
  });

/** The request's conversation and functions for the engine, or a 400 naming what is wrong. */
export function toEngineChat(req: Request): EngineChat {
  if (req.functions && req.tools) {
    throw invalid("functions", "give `tools` or the legacy `functions`, not both");
  }
  const legacy = req.functions !== undefined;
  const tools = legacy ? legacyTools(req) : req.tools;
  const offered = tools?.length ? tools : undefined;
  const tool_choice = toolChoice(req, offered, legacy);
  const response_format = responseFormat(req);
  return {
    messages: toMessages(req.messages),
    ...(offered ? { tools: offered } : {}),
    tool_choice,
    parallel_tool_calls: legacy ? false : (req.parallel_tool_calls ?? true),
    ...(response_format ? { response_format } : {}),
    legacy,
  };
}

function legacyTools(req: Request): Tool[] {
  const { tools } = fromLegacyFunctions(req.functions ?? []);
  const problem = checkToolDefinitions(tools, "functions");
  if (problem) {
    // The check names fields as in `tools`; the caller wrote `functions[i].parameters`.
    throw invalid(
      problem.field.replace(/^functions\[(\d+)\]\.function/, "functions[$1]"),
      problem.message,
    );
  }
  return tools;
}

/** `tool_choice` (or the legacy `function_call`), checked against the functions offered. */
function toolChoice(req: Request, tools: Tool[] | undefined, legacy: boolean): ToolChoice {
  if (!legacy && req.function_call !== undefined) {
    throw invalid(
      "function_call",
      "the legacy `function_call` goes with `functions`; use `tool_choice`",
    );
  }
  if (legacy && req.tool_choice !== undefined) {
    throw invalid(
      "tool_choice",
      "goes with `tools`; with the legacy `functions`, use `function_call`",
    );
  }
  if (req.tools) {
    const problem = checkToolDefinitions(req.tools, "tools");
    if (problem) throw invalid(problem.field, problem.message);
  }
  const field = legacy ? "function_call" : "tool_choice";
  const choice = legacy
    ? fromLegacyFunctions([], req.function_call ?? undefined).tool_choice
    : req.tool_choice;
  if (choice === undefined) return "auto";
  if (!tools) throw invalid(field, "is only allowed when `tools` offers functions");
  if (typeof choice === "string") return choice;
  const name = choice.function.name;
  if (!tools.some((t) => t.function.name === name)) {
    const names = tools.map((t) => t.function.name).join(", ");
    const where = legacy ? "function_call.name" : "tool_choice.function.name";
    throw invalid(
      where,
      `no function named "${name}" in \`${legacy ? "functions" : "tools"}\` (${names})`,
    );
  }
  return choice;
}

function responseFormat(req: Request): ResponseFormat | undefined {
  const format = req.response_format;
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_schema" && format.json_schema.schema) {
    const field = "response_format.json_schema.schema";
    const problem = checkJsonSchema(format.json_schema.schema, field);
    if (problem) throw invalid(problem.field, problem.message);
  }
  return format;
}

const text = (content: RequestMessage["content"]): string =>
  typeof content === "string" ? content : (content ?? []).map((p) => p.text).join("");

/**
 * The engine's messages: `developer` is a system message, and the legacy form (an assistant's
 * `function_call`, a `function` message with its result) is turned into tool calls and results.
 * Each tool result must answer a call made earlier in the conversation.
 */
export function toMessages(messages: RequestMessage[]): ChatMessage[] {
  const plain = messages.map((m, i) => {
    if (m.role !== "assistant" && m.content == null) {
      throw invalid(`messages[${i}].content`, `a ${m.role} message needs content`);
    }
    const { refusal: _, function_call, ...rest } = m;
    return { ...rest, content: text(m.content), function_call: function_call ?? undefined };
  });
  const calls = new Set<string>();
  return fromLegacyMessages(plain).map((m, i): ChatMessage => {
    const at = `messages[${i}]`;
    switch (m.role) {
      case "assistant": {
        const toolCalls = m.tool_calls ?? [];
        toolCalls.forEach((c, j) => {
          if (!isJson(c.function.arguments)) {
            const legacy = messages[i]?.function_call && j === toolCalls.length - 1;
            throw invalid(
              legacy
                ? `${at}.function_call.arguments`
                : `${at}.tool_calls[${j}].function.arguments`,
              "is not a JSON text (arguments are a JSON object written as a string)",
            );
          }
          calls.add(c.id);
        });
        return {
          role: "assistant",
          content: m.content,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        };
      }
      case "tool": {
        if (messages[i]?.role === "function" && !m.tool_call_id) {
          throw invalid(
            `${at}.name`,
            `a function message answers an earlier assistant function_call of that name, and none called "${messages[i]?.name ?? ""}" is unanswered`,
          );
        }
        if (!m.tool_call_id) {
          throw invalid(`${at}.tool_call_id`, "a tool message needs the id of the call it answers");
        }
        if (!calls.has(m.tool_call_id)) {
          throw invalid(
            `${at}.tool_call_id`,
            `"${m.tool_call_id}" answers no call of an earlier assistant message`,
          );
        }
        return { role: "tool", content: m.content, tool_call_id: m.tool_call_id };
      }
      case "developer":
        return { role: "system", content: m.content };
      default:
        return { role: m.role, content: m.content };
    }
  });
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
