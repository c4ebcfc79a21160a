/**
 * `/v1/assistants/{assistant_id}/conversations`: the owner's view of the conversations an assistant
 * had (on its share page and through `/v1/responses`), their export as training JSONL, redaction of
 * personal data, deletion, and the owner's own feedback or correction on an answer. The conversation
 * and message objects are in protocol/assistants.ts.
 */
import { z } from "@hono/zod-openapi";
import { AssistantConversation, FeedbackInput } from "../assistants.ts";
import { listOf } from "./shared.ts";

export const ConversationList = listOf(AssistantConversation).openapi("AssistantConversationList");

/** Newest first (by last message); `after` is the last id of the previous page. */
export const ConversationListQuery = z.object({
  after: z
    .string()
    .optional()
    .openapi({ description: "the last conversation id of the previous page" }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const ConversationDeleted = z
  .object({
    id: z.string(),
    object: z.literal("conversation.deleted"),
    deleted: z.literal(true),
  })
  .openapi("AssistantConversationDeleted");

export const CONVERSATION_EXPORT_FILTERS = ["good", "all"] as const;

export const ConversationExportQuery = z.object({
  filter: z.enum(CONVERSATION_EXPORT_FILTERS).default("good").openapi({
    description:
      "good: each conversation up to its first answer rated down or marked wrong (an answer with a correction is replaced by it and kept); all: every answer as given",
  }),
});

export const RedactConversationsRequest = z
  .object({
    /** People's names too (the engine's named-entity model); false: e-mails, phones, cards... only. */
    names: z.boolean().default(true),
  })
  .openapi("RedactConversationsRequest");

export const ConversationRedactionResult = z
  .object({
    object: z.literal("tailor.conversation_redaction"),
    /** Conversations looked at, and those in which something was replaced. */
    conversations: z.number().int(),
    changed: z.number().int(),
    /** Occurrences replaced per kind ("EMAIL", "PHONE", "PERSON", ...). */
    replaced: z.record(z.string(), z.number().int()),
  })
  .openapi("ConversationRedactionResult");
export type ConversationRedactionResult = z.infer<typeof ConversationRedactionResult>;

/** The owner's feedback on an answer (merged into the visitor's: a field given replaces it). */
export const OwnerFeedbackRequest = FeedbackInput.openapi("ConversationFeedbackRequest");
