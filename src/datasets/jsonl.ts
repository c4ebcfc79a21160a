import { existsSync, readFileSync, statSync } from "node:fs";
import { z } from "zod";
import { ChatMessage } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";

/** One training example, always as a conversation (prompt/completion lines are converted). */
export interface Example {
  messages: ChatMessage[];
}

export interface LineProblem {
  file: string;
  line: number;
  field?: string;
  message: string;
}

const ChatLine = z.object({ messages: z.array(ChatMessage).min(1) });
const PromptCompletionLine = z.object({ prompt: z.string(), completion: z.string() });

function fieldPath(path: PropertyKey[]): string {
  return path
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
    .join("")
    .slice(1);
}

function checkConversation(messages: ChatMessage[]): { field?: string; message: string } | null {
  const empty = messages.findIndex((m) => m.content.trim() === "");
  if (empty >= 0)
    return {
      field: `messages[${empty}].content`,
      message: "is empty; write the text or remove it",
    };
  if (!messages.some((m) => m.role === "assistant")) {
    return {
      field: "messages",
      message: "has no assistant message; add the answer the model should learn",
    };
  }
  return null;
}

function parseLine(value: unknown): { example?: Example; field?: string; message?: string } {
  if (value !== null && typeof value === "object" && "messages" in value) {
    const chat = ChatLine.safeParse(value);
    if (!chat.success) {
      const issue = chat.error.issues[0];
      return { field: fieldPath(issue?.path ?? []), message: issue?.message ?? "invalid" };
    }
    const problem = checkConversation(chat.data.messages);
    return problem ? problem : { example: { messages: chat.data.messages } };
  }
  if (value !== null && typeof value === "object" && "prompt" in value) {
    const pc = PromptCompletionLine.safeParse(value);
    if (!pc.success) {
      const issue = pc.error.issues[0];
      return { field: fieldPath(issue?.path ?? []), message: issue?.message ?? "invalid" };
    }
    const messages: ChatMessage[] = [
      { role: "user", content: pc.data.prompt },
      { role: "assistant", content: pc.data.completion },
    ];
    const problem = checkConversation(messages);
    if (problem)
      return {
        field: problem.field === "messages[0].content" ? "prompt" : "completion",
        message: problem.message,
      };
    return { example: { messages } };
  }
  return {
    message:
      'is neither a chat example {"messages": [...]} nor a prompt/completion pair {"prompt": ..., "completion": ...}',
  };
}

/**
 * Reads a JSONL file of chat or prompt/completion examples. Every bad line is reported with its
 * line number and field; any problem fails the whole file so nothing half-valid is trained on.
 */
export function readExamples(file: string): Example[] {
  if (!existsSync(file)) {
    throw new TailorError({
      code: "file_not_found",
      message: `data file ${file} does not exist; check the path`,
      details: { file },
    });
  }
  if (!statSync(file).isFile()) {
    throw new TailorError({
      code: "invalid_argument",
      message: `${file} is a folder; pass a .jsonl file`,
      details: { file },
    });
  }
  const text = readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  const examples: Example[] = [];
  const problems: LineProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === "") return;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      problems.push({
        file,
        line,
        message: `is not valid JSON (${(e as Error).message}); each line must be one JSON object`,
      });
      return;
    }
    const parsed = parseLine(value);
    if (parsed.example) examples.push(parsed.example);
    else
      problems.push({
        file,
        line,
        ...(parsed.field ? { field: parsed.field } : {}),
        message: parsed.message ?? "invalid",
      });
  });
  if (problems.length > 0) {
    const shown = problems
      .slice(0, 5)
      .map((p) => `  ${p.file}:${p.line}${p.field ? ` field ${p.field}` : ""}: ${p.message}`);
    const more = problems.length > 5 ? `\n  ... and ${problems.length - 5} more` : "";
    throw new TailorError({
      code: "data_invalid",
      message: `${problems.length} problem${problems.length === 1 ? "" : "s"} in ${file}:\n${shown.join("\n")}${more}\nFix these lines and run again.`,
      details: { file, line: problems[0]?.line, problems },
    });
  }
  if (examples.length === 0) {
    throw new TailorError({
      code: "data_invalid",
      message: `${file} has no examples; add one JSON object per line, e.g. {"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}`,
      details: { file },
    });
  }
  return examples;
}

/** Chat JSONL as the engine reads it. */
export function toChatJsonl(examples: Example[]): string {
  return `${examples.map((e) => JSON.stringify({ messages: e.messages })).join("\n")}\n`;
}
