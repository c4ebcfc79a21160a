/**
 * Stored `/v1/responses` (`store: true`, the default): the response object and the conversation it
 * ended (for `previous_response_id`). SKELETON: the Responses helper implements it.
 */
import type { ChatMessage } from "../../protocol/index.ts";
import type { Db } from "../store/index.ts";

export interface StoredResponse {
  id: string;
  owner: string;
  keyId: string;
  createdAt: number;
  previousId: string | null;
  model: string;
  assistantId: string | null;
  conversationId: string | null;
  /** The conversation up to and including this response's output, as the model reads it. */
  messages: ChatMessage[];
  /** The response object as returned. */
  response: unknown;
}

export class ResponseStore {
  constructor(readonly db: Db) {}

  save(_r: StoredResponse): void {
    throw new Error("ResponseStore.save: not implemented yet");
  }

  find(_id: string): StoredResponse | null {
    throw new Error("ResponseStore.find: not implemented yet");
  }

  delete(_id: string): boolean {
    throw new Error("ResponseStore.delete: not implemented yet");
  }
}
