/**
 * Stored `/v1/responses` (`store: true`, the default): the response object as returned, the input
 * items it was asked with (as `GET /v1/responses/{id}/input_items` lists them), and the
 * conversation it ended, as the model reads it (for `previous_response_id`). One row of the
 * `responses` table each; `messages_json` holds `{messages, input_items}`.
 */
import { z } from "zod";
import { ResponseItem, ResponseObject } from "../../protocol/api/responses.ts";
import { ChatMessage } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import type { SqlDb } from "../store/sql.ts";

export interface StoredResponse {
  id: string;
  owner: string;
  keyId: string;
  createdAt: number;
  previousId: string | null;
  /** As asked: a model, or an assistant's id. */
  model: string;
  assistantId: string | null;
  conversationId: string | null;
  /** The conversation up to and including this response's output, as the model reads it. */
  messages: ChatMessage[];
  /** This request's input, each item with its id (the history before it is not repeated). */
  inputItems: ResponseItem[];
  /** The response object as returned. */
  response: ResponseObject;
}

interface Row {
  id: string;
  owner: string;
  key_id: string;
  created_at: number;
  previous_id: string | null;
  model: string;
  assistant_id: string | null;
  conversation_id: string | null;
  messages_json: string;
  response_json: string;
}

const Exchange = z.object({ messages: z.array(ChatMessage), input_items: z.array(ResponseItem) });

export class ResponseStore {
  constructor(readonly db: SqlDb) {}

  save(r: StoredResponse): void {
    this.db
      .prepare(
        `INSERT INTO responses (id, owner, key_id, created_at, previous_id, model, assistant_id,
           conversation_id, messages_json, response_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.id,
        r.owner,
        r.keyId,
        r.createdAt,
        r.previousId,
        r.model,
        r.assistantId,
        r.conversationId,
        JSON.stringify({ messages: r.messages, input_items: r.inputItems }),
        JSON.stringify(r.response),
      );
  }

  /** The stored response, whoever owns it (the caller checks ownership), or null. */
  find(id: string): StoredResponse | null {
    const row = this.db.prepare("SELECT * FROM responses WHERE id = ?").get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Deletes the response (the conversation it continued stays); whether there was one. */
  delete(id: string): boolean {
    return this.db.prepare("DELETE FROM responses WHERE id = ?").run(id).changes > 0;
  }
}

function fromRow(row: Row): StoredResponse {
  const exchange = Exchange.safeParse(parse(row.messages_json));
  const response = ResponseObject.safeParse(parse(row.response_json));
  if (!exchange.success || !response.success) {
    throw new TailorError({
      code: "internal",
      message: `stored response ${row.id} is unreadable (${(exchange.error ?? response.error)?.issues[0]?.message})`,
    });
  }
  return {
    id: row.id,
    owner: row.owner,
    keyId: row.key_id,
    createdAt: row.created_at,
    previousId: row.previous_id,
    model: row.model,
    assistantId: row.assistant_id,
    conversationId: row.conversation_id,
    messages: exchange.data.messages,
    inputItems: exchange.data.input_items,
    response: response.data,
  };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
