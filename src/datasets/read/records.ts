import type { ChatMessage, Conversation } from "../../../protocol/index.ts";

/**
 * One training example, always as a conversation (prompt/completion and CSV rows are converted),
 * with the functions the model was offered in it: stored and trained on as it is.
 */
export type Example = Conversation & {
  /**
   * Preference pairs: the answer the model should not give, in place of the conversation's last
   * assistant turn (which is the preferred one). Present on every line of a preference dataset.
   */
  non_preferred_output?: ChatMessage[];
  /**
   * Labelled texts (classification): the text is the user message, the labels (one, or several for
   * multi-label data) are also the assistant's answer, joined by ", ".
   */
  labels?: string[];
};

export type ProblemCode =
  | "not_json"
  | "invalid_utf8"
  | "line_too_long"
  | "unknown_format"
  | "missing_field"
  | "wrong_type"
  | "unknown_role"
  | "no_assistant"
  | "empty_content"
  /** `tools` (or legacy `functions`) is not a list of valid function definitions. */
  | "invalid_tools"
  /** An assistant calls functions but the line defines none. */
  | "no_tools"
  | "unknown_function"
  | "invalid_arguments"
  /** A call gets no result before the conversation goes on. */
  | "unanswered_call"
  /** A tool result whose tool_call_id names no earlier call (or one already answered). */
  | "unmatched_tool_result"
  | "duplicate_call_id"
  /** Several calls in one turn while parallel_tool_calls is false, or calls on a non-assistant. */
  | "misplaced_tool_calls"
  /** A preference pair whose two answers are the same. */
  | "identical_pair"
  /** A preference pair's answer that is not the assistant's, or a prompt that ends with one. */
  | "wrong_role";

export type DataRecord =
  | { kind: "example"; line: number; example: Example }
  | { kind: "problem"; line: number; code: ProblemCode; field?: string; message: string };

export type ProblemRecord = Extract<DataRecord, { kind: "problem" }>;

/** The checks every example gets whatever its format: content present, an answer to learn. */
export function checkConversation(
  messages: ChatMessage[],
): { code: ProblemCode; field: string; message: string } | null {
  // an assistant that only calls functions has no text
  const empty = messages.findIndex(
    (m) => m.content.trim() === "" && !(m.role === "assistant" && m.tool_calls),
  );
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
