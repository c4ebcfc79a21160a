/**
 * Conversations with assistants: messages with the version that answered, sources, function calls
 * and feedback; retention; export as training JSONL; redaction. SKELETON: the conversations helper
 * implements it.
 */
import type {
  AssistantConversationWithMessages,
  AssistantConversation as Conversation,
  ConversationMessage,
  FeedbackInput,
} from "../../protocol/assistants.ts";
import type { ChatMessage } from "../../protocol/index.ts";
import type { Db } from "../store/index.ts";

const todo = (what: string): never => {
  throw new Error(`ConversationStore.${what}: not implemented yet`);
};

export type NewMessage = Omit<ConversationMessage, "id" | "created_at" | "feedback">;

export class ConversationStore {
  constructor(readonly db: Db) {}

  start(
    _assistantId: string,
    _channel: "share" | "api",
    _visitor: string,
    _retentionDays: number,
  ): Conversation {
    return todo("start");
  }

  get(_id: string): AssistantConversationWithMessages {
    return todo("get");
  }

  find(_id: string): AssistantConversationWithMessages | null {
    return todo("find");
  }

  /** Newest first. */
  list(_assistantId: string, _opts?: { limit?: number; after?: string }): Conversation[] {
    return todo("list");
  }

  /** Adds a message (and pushes the conversation's expiry `retentionDays` past now). */
  append(
    _conversationId: string,
    _message: NewMessage,
    _retentionDays: number,
  ): ConversationMessage {
    return todo("append");
  }

  /** The conversation as the model reads it: user and assistant texts in order. */
  history(_conversationId: string): ChatMessage[] {
    return todo("history");
  }

  feedback(
    _conversationId: string,
    _messageId: string,
    _input: FeedbackInput,
  ): ConversationMessage {
    return todo("feedback");
  }

  delete(_id: string): void {
    todo("delete");
  }

  /** Deletes the conversations whose expiry has passed; how many. */
  sweep(_nowSeconds?: number): number {
    return todo("sweep");
  }
}
