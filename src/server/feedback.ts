/**
 * Feedback into the review queue: every piece of feedback on a kept answer (a stored chat
 * completion, or an answer in an assistant's conversation, from the share page or its owner) files
 * that answer for review, one item per answer. Feedback given again updates the item while it
 * waits; once a reviewer has accepted or rejected it, the item is left as it was and the answer says
 * so. The feedback and its filing are one transaction: both are kept, or neither.
 */
import type { ReviewItemRef } from "../../protocol/api/completions.ts";
import type {
  Assistant,
  AssistantConversationWithMessages,
  ConversationMessage,
  FeedbackInput,
} from "../../protocol/assistants.ts";
import type { ChatMessage } from "../../protocol/index.ts";
import type { NewReviewItem, ReviewItem, StoredCompletion } from "../../protocol/review.ts";
import { isTailorError } from "../errors/index.ts";
import type { ServerContext } from "./context.ts";

type Feedback = NonNullable<StoredCompletion["feedback"]>;

const reviewFeedback = (f: Feedback | null): NewReviewItem["feedback"] => ({
  rating: f?.rating ?? null,
  wrong: f?.wrong ?? false,
  comment: f?.comment ?? null,
  correction: f?.correction ?? null,
});

/** What happened to the item, in words for the caller. */
export function reviewRef(item: ReviewItem): ReviewItemRef {
  if (item.status === "pending") {
    return {
      id: item.id,
      status: item.status,
      updated: true,
      message: `filed for review as ${item.id}: nothing becomes a training example until a reviewer accepts it`,
    };
  }
  const who = item.reviewer ? ` by ${item.reviewer}` : "";
  return {
    id: item.id,
    status: item.status,
    updated: false,
    message: `the feedback is kept with the answer, but review item ${item.id} was already ${item.status}${who} and is left as it was`,
  };
}

/** The model that answers for `model` now (a model name's current or pinned version), else itself. */
function resolvedNow(ctx: Pick<ServerContext, "modelNames">, model: string): string {
  try {
    return ctx.modelNames.resolve(model)?.model ?? model;
  } catch (e) {
    if (isTailorError(e)) return model; // a pinned version since deleted: the name as asked
    throw e;
  }
}

/** Files (or updates) the review item of a stored completion that got feedback. */
export function fileCompletionFeedback(
  ctx: Pick<ServerContext, "review">,
  c: StoredCompletion,
): ReviewItemRef {
  const item = ctx.review.file({
    source: "completion",
    source_id: c.id,
    message_id: null,
    model: c.model,
    resolved_model: c.resolved_model,
    owner: c.owner,
    question: c.messages,
    answer: c.answer,
    feedback: reviewFeedback(c.feedback),
  });
  return reviewRef(item);
}

/** Feedback on a stored completion and its review item, in one transaction. */
export function completionFeedback(
  ctx: Pick<ServerContext, "review" | "completions">,
  id: string,
  input: FeedbackInput,
): { completion: StoredCompletion; review: ReviewItemRef } {
  return ctx.completions.db.transaction(() => {
    const completion = ctx.completions.feedback(id, input);
    return { completion, review: fileCompletionFeedback(ctx, completion) };
  })();
}

/**
 * The question an answer in a conversation was given: the instructions of the version that
 * answered as the system message (when known), then the conversation up to the answer as the model
 * read it (texts in order, empty ones left out).
 */
export function conversationQuestion(
  instructions: string,
  conv: AssistantConversationWithMessages,
  messageId: string,
): ChatMessage[] {
  const at = conv.messages.findIndex((m) => m.id === messageId);
  const before = conv.messages
    .slice(0, Math.max(at, 0))
    .filter((m) => m.content.trim() !== "")
    .map((m): ChatMessage => ({ role: m.role, content: m.content }));
  return instructions.trim() === ""
    ? before
    : [{ role: "system", content: instructions }, ...before];
}

/**
 * Files (or updates) the review item of an answer in an assistant's conversation: `message` is the
 * answer with its feedback as just stored, `conv` the conversation it is in.
 */
export function fileConversationFeedback(
  ctx: Pick<ServerContext, "review" | "assistants" | "modelNames">,
  assistant: Assistant,
  conv: AssistantConversationWithMessages,
  message: ConversationMessage,
): ReviewItemRef {
  const version =
    message.version === null
      ? null
      : (ctx.assistants.versions(assistant.id).find((v) => v.version === message.version) ?? null);
  const settings = version?.settings ?? assistant.settings;
  const item = ctx.review.file({
    source: "conversation",
    source_id: conv.id,
    message_id: message.id,
    model: settings.model,
    resolved_model: resolvedNow(ctx, settings.model),
    owner: assistant.owner,
    question: conversationQuestion(version ? settings.instructions : "", conv, message.id),
    answer: message.content,
    feedback: reviewFeedback(message.feedback),
  });
  return reviewRef(item);
}

/** Feedback on an answer in a conversation and its review item, in one transaction. */
export function conversationFeedback(
  ctx: Pick<ServerContext, "review" | "assistants" | "modelNames" | "conversations">,
  assistant: Assistant,
  conv: AssistantConversationWithMessages,
  messageId: string,
  input: FeedbackInput,
): { message: ConversationMessage; review: ReviewItemRef } {
  return ctx.conversations.db.transaction(() => {
    const message = ctx.conversations.feedback(conv.id, messageId, input);
    return { message, review: fileConversationFeedback(ctx, assistant, conv, message) };
  })();
}
