import { type ZodError, z } from "zod";
import { ChatMessage } from "../../../protocol/index.ts";
import { readLines } from "./lines.ts";
import { checkConversation, type DataRecord, type ProblemCode, pairToExample } from "./records.ts";

const ChatLine = z.object({ messages: z.array(ChatMessage).min(1) });
const PromptCompletionLine = z.object({ prompt: z.string(), completion: z.string() });

function fieldPath(path: PropertyKey[]): string {
  return path
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
    .join("")
    .replace(/^\./, "");
}

function fromZod(error: ZodError, line: number, value: unknown): DataRecord {
  const issue = error.issues[0];
  const field = fieldPath(issue?.path ?? []);
  let code: ProblemCode = "wrong_type";
  let message = issue?.message ?? "is invalid";
  if (field.endsWith(".role") && issue?.code === "invalid_value") {
    code = "unknown_role";
    message = `must be "system", "user" or "assistant"`;
  } else if (issue?.code === "invalid_type" && lookup(value, issue.path) === undefined) {
    code = "missing_field";
    message = "is missing";
  } else if (issue?.code === "too_small" && field === "messages") {
    code = "missing_field";
    message = "is empty; add the conversation";
  }
  return { kind: "problem", line, code, ...(field ? { field } : {}), message };
}

function lookup(value: unknown, path: PropertyKey[]): unknown {
  let v: unknown = value;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** One JSONL line: a chat example, a prompt/completion pair, or a problem saying what is wrong. */
export function parseJsonLine(text: string, line: number): DataRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const why =
      e instanceof RangeError
        ? "is nested too deeply"
        : `is not valid JSON (${(e as Error).message})`;
    return {
      kind: "problem",
      line,
      code: "not_json",
      message: `${why}; each line must be one JSON object`,
    };
  }
  const obj =
    value !== null && typeof value === "object" && !Array.isArray(value) ? (value as object) : null;
  if (obj && "messages" in obj) {
    const chat = ChatLine.safeParse(value);
    if (!chat.success) return fromZod(chat.error, line, value);
    const problem = checkConversation(chat.data.messages);
    return problem
      ? { kind: "problem", line, ...problem }
      : { kind: "example", line, example: { messages: chat.data.messages } };
  }
  if (obj && ("prompt" in obj || "completion" in obj)) {
    const pc = PromptCompletionLine.safeParse(value);
    if (!pc.success) return fromZod(pc.error, line, value);
    const example = pairToExample(pc.data.prompt, pc.data.completion);
    const problem = checkConversation(example.messages);
    if (problem)
      return {
        kind: "problem",
        line,
        ...problem,
        field: problem.field === "messages[0].content" ? "prompt" : "completion",
      };
    return { kind: "example", line, example };
  }
  return {
    kind: "problem",
    line,
    code: "unknown_format",
    message:
      'is neither a chat example {"messages": [...]} nor a prompt/completion pair {"prompt": ..., "completion": ...}',
  };
}

export async function* readJsonl(file: string): AsyncGenerator<DataRecord> {
  for await (const raw of readLines(file)) {
    if (raw.text === null) {
      const code: ProblemCode = raw.problem?.includes("UTF-8") ? "invalid_utf8" : "line_too_long";
      yield { kind: "problem", line: raw.line, code, message: raw.problem ?? "could not be read" };
    } else if (raw.text.trim() !== "") {
      yield parseJsonLine(raw.text, raw.line);
    }
  }
}
