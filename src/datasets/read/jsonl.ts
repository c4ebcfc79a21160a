import { z } from "zod";
import { parseChatLine } from "./chat.ts";
import {
  isLabelledLine,
  isStoredLabelledLine,
  parseLabelledLine,
  parseStoredLabelledLine,
} from "./labelled.ts";
import { readLines } from "./lines.ts";
import { isPreferenceLine, parsePreferenceLine } from "./preference.ts";
import { checkConversation, type DataRecord, type ProblemCode, pairToExample } from "./records.ts";
import { fromZod } from "./zod-problem.ts";

const PromptCompletionLine = z.object({ prompt: z.string(), completion: z.string() });

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
  // before chat lines: a stored pair is a chat line with its non-preferred answer
  if (obj && isPreferenceLine(obj))
    return parsePreferenceLine(obj as Record<string, unknown>, line);
  if (obj && isStoredLabelledLine(obj))
    return parseStoredLabelledLine(obj as Record<string, unknown>, line);
  if (obj && "messages" in obj) return parseChatLine(obj as Record<string, unknown>, line);
  if (obj && isLabelledLine(obj)) return parseLabelledLine(obj as Record<string, unknown>, line);
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
