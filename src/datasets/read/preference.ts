/**
 * Preference pairs (DPO): a conversation, the answer the model should give and the one it should
 * not. Read in three shapes, each normalised to an Example whose messages end with the preferred
 * answer and whose `non_preferred_output` holds the other:
 * - OpenAI's: `{"input": {"messages", "tools"?, "parallel_tool_calls"?}, "preferred_output": [...],
 *   "non_preferred_output": [...]}` (each side a list of assistant messages);
 * - TRL's: `{"prompt", "chosen", "rejected"}`, each a string or a list of messages (TRL's
 *   conversational form), or `chosen`/`rejected` as whole conversations that share their start;
 * - Tailor's own, as datasets store it: a chat line (`messages` ending with the preferred answer)
 *   with `non_preferred_output`.
 * Both sides are checked as chat lines (content, tools, calls); a problem names the field as the line
 * wrote it (`preferred_output[0].content`, `rejected`, `input.messages[1].role`).
 */
import type { ChatMessage } from "../../../protocol/index.ts";
import { parseChatLine } from "./chat.ts";
import type { DataRecord, Example, ProblemCode } from "./records.ts";

/** Whether a JSON line is meant as a preference pair. */
export function isPreferenceLine(obj: object): boolean {
  return (
    "preferred_output" in obj ||
    "non_preferred_output" in obj ||
    "chosen" in obj ||
    "rejected" in obj
  );
}

type Fields = (index: number, rest: string) => string;

/** One side (or the prompt) as messages, with how its fields are named in the line. */
interface Part {
  messages: unknown[];
  field: Fields;
  /** The field that holds the whole part (for "is missing", "is empty"). */
  name: string;
}

interface Shape {
  prompt: Part;
  tools?: unknown;
  parallel_tool_calls?: unknown;
  /** Where `tools` and `parallel_tool_calls` are in the line ("input." for OpenAI's). */
  toolsAt: string;
  preferred: Part;
  rejected: Part;
}

type Problem = { code: ProblemCode; field?: string; message: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

const listed =
  (name: string): Fields =>
  (i, rest) =>
    `${name}[${i}]${rest}`;

/** A side written as a string is one assistant message; its fields are the string's. */
const textSide = (name: string, text: string): Part => ({
  messages: [{ role: "assistant", content: text }],
  field: () => name,
  name,
});

const ANSWER_EXAMPLE = '[{"role": "assistant", "content": "..."}]';

/** A side as a list of messages, or what is wrong with it. */
function side(value: unknown, name: string, strings: boolean): Part | Problem {
  if (value === undefined || value === null)
    return {
      code: "missing_field",
      field: name,
      message: `is missing; a preference pair needs both answers (e.g. ${name}: ${strings ? '"..."' : ANSWER_EXAMPLE})`,
    };
  if (strings && typeof value === "string") return textSide(name, value);
  if (!Array.isArray(value))
    return {
      code: "wrong_type",
      field: name,
      message: `must be a list of assistant messages, e.g. ${ANSWER_EXAMPLE}${strings ? ", or a string" : ""}`,
    };
  if (value.length === 0)
    return {
      code: "empty_content",
      field: name,
      message: `is empty; write the answer, e.g. ${ANSWER_EXAMPLE}`,
    };
  return { messages: value, field: listed(name), name };
}

const isProblem = (p: Part | Problem): p is Problem => "code" in p;

/** The line's three parts in OpenAI's, TRL's or Tailor's stored shape. */
function shapeOf(obj: Record<string, unknown>): Shape | Problem {
  if ("chosen" in obj || "rejected" in obj) return trlShape(obj);
  if ("messages" in obj) {
    // Tailor's stored form: the conversation ends with the preferred answer
    const messages = obj.messages;
    if (!Array.isArray(messages))
      return { code: "wrong_type", field: "messages", message: "must be a list of messages" };
    let k = messages.length;
    while (k > 0 && isObject(messages[k - 1]) && messages[k - 1]?.role === "assistant") k--;
    const rejected = side(obj.non_preferred_output, "non_preferred_output", false);
    if (isProblem(rejected)) return rejected;
    if (k === messages.length)
      return {
        code: "no_assistant",
        field: "messages",
        message: "has no preferred answer at its end; end it with the assistant's preferred answer",
      };
    return {
      prompt: { messages: messages.slice(0, k), field: listed("messages"), name: "messages" },
      tools: obj.tools,
      parallel_tool_calls: obj.parallel_tool_calls,
      toolsAt: "",
      preferred: {
        messages: messages.slice(k),
        field: (i, rest) => `messages[${i + k}]${rest}`,
        name: "messages",
      },
      rejected,
    };
  }
  const input = obj.input;
  if (input === undefined)
    return {
      code: "missing_field",
      field: "input",
      message:
        'is missing; a preference pair is {"input": {"messages": [...]}, "preferred_output": [...], "non_preferred_output": [...]}',
    };
  if (!isObject(input) || !Array.isArray(input.messages))
    return {
      code:
        input !== null && isObject(input) && input.messages === undefined
          ? "missing_field"
          : "wrong_type",
      field: isObject(input) ? "input.messages" : "input",
      message: isObject(input)
        ? "must be the conversation before the answers, a list of messages"
        : 'must be an object with the conversation: {"messages": [...]}',
    };
  const preferred = side(obj.preferred_output, "preferred_output", false);
  if (isProblem(preferred)) return preferred;
  const rejected = side(obj.non_preferred_output, "non_preferred_output", false);
  if (isProblem(rejected)) return rejected;
  return {
    prompt: { messages: input.messages, field: listed("input.messages"), name: "input.messages" },
    tools: input.tools,
    parallel_tool_calls: input.parallel_tool_calls,
    toolsAt: "input.",
    preferred,
    rejected,
  };
}

/** TRL's prompt/chosen/rejected: strings, message lists, or whole conversations with no prompt. */
function trlShape(obj: Record<string, unknown>): Shape | Problem {
  const preferred = side(obj.chosen, "chosen", true);
  if (isProblem(preferred)) return preferred;
  const rejected = side(obj.rejected, "rejected", true);
  if (isProblem(rejected)) return rejected;
  const tools = { tools: obj.tools, toolsAt: "" };
  const prompt = obj.prompt;
  if (prompt === undefined || prompt === null) {
    // implicit prompt: two conversations that share their start
    const c = preferred.messages;
    const r = rejected.messages;
    let k = 0;
    while (k < c.length - 1 && k < r.length - 1 && JSON.stringify(c[k]) === JSON.stringify(r[k]))
      k++;
    if (k === 0)
      return {
        code: "missing_field",
        field: "prompt",
        message:
          'is missing; give the question as "prompt" (a string or a list of messages), or write chosen and rejected as whole conversations that start the same',
      };
    return {
      prompt: { messages: c.slice(0, k), field: listed("chosen"), name: "chosen" },
      ...tools,
      preferred: {
        messages: c.slice(k),
        field: (i, rest) => `chosen[${i + k}]${rest}`,
        name: "chosen",
      },
      rejected: {
        messages: r.slice(k),
        field: (i, rest) => `rejected[${i + k}]${rest}`,
        name: "rejected",
      },
    };
  }
  if (typeof prompt === "string")
    return {
      prompt: {
        messages: [{ role: "user", content: prompt }],
        field: () => "prompt",
        name: "prompt",
      },
      ...tools,
      preferred,
      rejected,
    };
  if (!Array.isArray(prompt))
    return {
      code: "wrong_type",
      field: "prompt",
      message: "must be a string or a list of messages",
    };
  return {
    prompt: { messages: prompt, field: listed("prompt"), name: "prompt" },
    ...tools,
    preferred,
    rejected,
  };
}

/** A problem of the conversation "prompt + one side", with its field named as the line has it. */
function renamed(p: Problem, prompt: Part, answer: Part, toolsAt: string): Problem {
  const field = p.field;
  if (field === undefined) return p;
  const m = /^messages\[(\d+)\](.*)$/.exec(field);
  if (m) {
    const i = Number(m[1]);
    const rest = m[2] ?? "";
    const n = prompt.messages.length;
    return { ...p, field: i < n ? prompt.field(i, rest) : answer.field(i - n, rest) };
  }
  if (field === "messages") return { ...p, field: answer.name };
  return { ...p, field: `${toolsAt}${field}` };
}

/** The text a side says, calls included, for comparing the two. */
const sayText = (messages: ChatMessage[]) =>
  JSON.stringify(
    messages.map((m) => [
      m.content.trim(),
      m.tool_calls?.map((c) => [c.function.name, c.function.arguments]) ?? null,
    ]),
  );

/** The conversation "prompt + side", checked as a chat line. */
function conversation(shape: Shape, answer: Part): DataRecord {
  return parseChatLine(
    {
      messages: [...shape.prompt.messages, ...answer.messages],
      ...(shape.tools !== undefined ? { tools: shape.tools } : {}),
      ...(shape.parallel_tool_calls !== undefined
        ? { parallel_tool_calls: shape.parallel_tool_calls }
        : {}),
    },
    0,
  );
}

/** One preference line (already JSON): an example with its non-preferred answer, or its problem. */
export function parsePreferenceLine(obj: Record<string, unknown>, line: number): DataRecord {
  const problem = (p: Problem): DataRecord => ({ kind: "problem", line, ...p });
  const shape = shapeOf(obj);
  if ("code" in shape) return problem(shape);
  const last = shape.prompt.messages.at(-1);
  if (isObject(last) && last.role === "assistant")
    return problem({
      code: "wrong_role",
      field: shape.prompt.field(shape.prompt.messages.length - 1, ".role"),
      message: `is "assistant": the conversation before the answers must end with the user's turn (or a tool result); the two answers go in ${shape.preferred.name} and ${shape.rejected.name}`,
    });
  for (const part of [shape.preferred, shape.rejected]) {
    const i = part.messages.findIndex((m) => !isObject(m) || m.role !== "assistant");
    if (i >= 0) {
      const m = part.messages[i];
      return problem({
        code: "wrong_role",
        field: part.field(i, ".role"),
        message: `is ${isObject(m) ? JSON.stringify(m.role ?? null) : "not a message"}; ${part.name} holds only the assistant's answer (role "assistant"); put the conversation before it in ${shape.prompt.name}`,
      });
    }
  }
  const chosen = conversation(shape, shape.preferred);
  if (chosen.kind === "problem") {
    const { kind: _k, line: _l, ...p } = chosen;
    return problem(renamed(p, shape.prompt, shape.preferred, shape.toolsAt));
  }
  const rejected = conversation(shape, shape.rejected);
  if (rejected.kind === "problem") {
    const { kind: _k, line: _l, ...p } = rejected;
    return problem(renamed(p, shape.prompt, shape.rejected, shape.toolsAt));
  }
  const nonPreferred = rejected.example.messages.slice(-shape.rejected.messages.length);
  const preferred = chosen.example.messages.slice(-shape.preferred.messages.length);
  if (sayText(preferred) === sayText(nonPreferred))
    return problem({
      code: "identical_pair",
      field: shape.rejected.name,
      message: `is the same answer as ${shape.preferred.name}; a pair teaches only by how its two answers differ: write the worse answer here, or leave the line out`,
    });
  const example: Example = { ...chosen.example, non_preferred_output: nonPreferred };
  return { kind: "example", line, example };
}
