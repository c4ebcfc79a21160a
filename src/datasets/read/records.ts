import type { ChatMessage } from "../../../protocol/index.ts";

/** One training example, always as a conversation (prompt/completion and CSV rows are converted). */
export interface Example {
  messages: ChatMessage[];
}

export type ProblemCode =
  | "not_json"
  | "invalid_utf8"
  | "line_too_long"
  | "unknown_format"
  | "missing_field"
  | "wrong_type"
  | "unknown_role"
  | "no_assistant"
  | "empty_content";

export type DataRecord =
  | { kind: "example"; line: number; example: Example }
  | { kind: "problem"; line: number; code: ProblemCode; field?: string; message: string };

export type ProblemRecord = Extract<DataRecord, { kind: "problem" }>;

/** The checks every example gets whatever its format: content present, an answer to learn. */
export function checkConversation(
  messages: ChatMessage[],
): { code: ProblemCode; field: string; message: string } | null {
  const empty = messages.findIndex((m) => m.content.trim() === "");
  if (empty >= 0) {
    return {
      code: "empty_content",
      field: `messages[${empty}].content`,
      message: "is empty; write the text or remove the message",
    };
  }
  if (!messages.some((m) => m.role === "assistant")) {
    return {
      code: "no_assistant",
      field: "messages",
      message: "has no assistant message; add the answer the model should learn",
    };
  }
  return null;
}

export function pairToExample(prompt: string, completion: string): Example {
  return {
    messages: [
      { role: "user", content: prompt },
      { role: "assistant", content: completion },
    ],
  };
}
