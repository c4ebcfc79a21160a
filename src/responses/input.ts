/**
 * A Responses request's `input` as the model reads it (chat messages appended to the conversation
 * so far) and as `GET /v1/responses/{id}/input_items` lists it (each item with an id). A string is
 * one user message; `developer` is a system message; function_call items become the assistant's
 * tool calls and function_call_output items their results, each answering a call made earlier in
 * the conversation. Items given back from an earlier output are taken as the assistant's words
 * (output_text and refusal parts); file_search_call items are skipped (the search runs again).
 */
import { randomBytes } from "node:crypto";
import type { CreateResponseRequest, ResponseItem } from "../../protocol/api/responses.ts";
import type { ChatMessage } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";

export interface ReadInput {
  /** The new messages, to append to the conversation so far. */
  messages: ChatMessage[];
  /** The input as listed, each item with an id. */
  items: ResponseItem[];
  /** The user messages' texts (a stored conversation keeps them). */
  questions: string[];
}

export const newId = (prefix: string): string => `${prefix}_${randomBytes(16).toString("hex")}`;

const invalid = (field: string, message: string) =>
  new TailorError({
    code: "invalid_argument",
    message: `${field}: ${message}`,
    details: { field },
  });

type Input = CreateResponseRequest["input"];
type Part = Exclude<Extract<Exclude<Input, string>[number], { role: string }>["content"], string>;

const partsText = (content: string | Part): string =>
  typeof content === "string"
    ? content
    : content.map((p) => (p.type === "refusal" ? p.refusal : p.text)).join("");

/** The input's messages after `history`, checked (a result answers a call; arguments are JSON). */
export function readInput(input: Input, history: ChatMessage[]): ReadInput {
  if (typeof input === "string") {
    const id = newId("msg");
    return {
      messages: [{ role: "user", content: input }],
      items: [
        {
          type: "message",
          id,
          role: "user",
          status: "completed",
          content: [{ type: "input_text", text: input }],
        },
      ],
      questions: [input],
    };
  }
  const calls = new Set(history.flatMap((m) => m.tool_calls?.map((c) => c.id) ?? []));
  const messages: ChatMessage[] = [];
  const items: ResponseItem[] = [];
  const questions: string[] = [];
  input.forEach((item, i) => {
    const at = `input[${i}]`;
    switch (item.type) {
      case "file_search_call":
        return;
      case "function_call": {
        if (!isJson(item.arguments))
          throw invalid(
            `${at}.arguments`,
            "is not a JSON text (a JSON object written as a string)",
          );
        const call = {
          id: item.call_id,
          type: "function" as const,
          function: { name: item.name, arguments: item.arguments },
        };
        const last = messages.at(-1);
        if (last?.role === "assistant") last.tool_calls = [...(last.tool_calls ?? []), call];
        else messages.push({ role: "assistant", content: "", tool_calls: [call] });
        calls.add(item.call_id);
        items.push({
          type: "function_call",
          id: item.id ?? newId("fc"),
          call_id: item.call_id,
          name: item.name,
          arguments: item.arguments,
          status: "completed",
        });
        return;
      }
      case "function_call_output": {
        if (!calls.has(item.call_id))
          throw invalid(
            `${at}.call_id`,
            `"${item.call_id}" answers no function call of this conversation; send previous_response_id (the response that called it), or its function_call item before this one`,
          );
        const output = partsText(item.output);
        messages.push({ role: "tool", content: output, tool_call_id: item.call_id });
        items.push({
          type: "function_call_output",
          id: item.id ?? newId("fco"),
          call_id: item.call_id,
          output,
          status: "completed",
        });
        return;
      }
      default: {
        const text = partsText(item.content);
        const id = item.id ?? newId("msg");
        if (item.role === "assistant") {
          messages.push({ role: "assistant", content: text });
          items.push({
            type: "message",
            id,
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text, annotations: [] }],
          });
          return;
        }
        messages.push({ role: item.role === "user" ? "user" : "system", content: text });
        if (item.role === "user") questions.push(text);
        items.push({
          type: "message",
          id,
          role: item.role,
          status: "completed",
          content: [{ type: "input_text", text }],
        });
      }
    }
  });
  if (!messages.length)
    throw invalid("input", "has nothing for the model to read (file_search_call items only)");
  return { messages, items, questions };
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
