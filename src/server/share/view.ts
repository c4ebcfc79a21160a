/**
 * What a visitor is shown of the stored conversation: the texts, sources and feedback, and of each
 * function call only its name and status (never its arguments, result, headers or secrets).
 */

import type { ShareConversation, ShareInfo, ShareMessage } from "../../../protocol/api/share.ts";
import { MAX_QUESTION_CHARS } from "../../../protocol/api/share.ts";
import type {
  Assistant,
  AssistantConversationWithMessages,
  ConversationMessage,
} from "../../../protocol/assistants.ts";

export function shareMessage(m: ConversationMessage): ShareMessage {
  return {
    id: m.id,
    role: m.role,
    content: m.content,
    created_at: m.created_at,
    sources: m.sources,
    function_calls: m.function_calls.map((f) => ({ name: f.name, status: f.status })),
    finish_reason: m.finish_reason,
    feedback: m.feedback,
  };
}

export function shareConversation(c: AssistantConversationWithMessages): ShareConversation {
  return {
    id: c.id,
    created_at: c.created_at,
    expires_at: c.expires_at,
    messages: c.messages.map(shareMessage),
  };
}

/** The storage notice every page shows. */
export function notice(retentionDays: number): string {
  const days = retentionDays === 1 ? "1 day" : `${retentionDays} days`;
  return `Conversations are kept for ${days} so the owner can improve this assistant. Don't share personal details.`;
}

/** The page's first call: what it may show before (and after) the visitor is let in. */
export function shareInfo(a: Assistant, unlocked: boolean): ShareInfo {
  const s = a.settings;
  return {
    name: s.name,
    access: a.publication.access,
    unlocked,
    greeting: unlocked ? s.greeting : "",
    suggested_questions: unlocked ? s.suggested_questions : [],
    notice: notice(s.retention_days),
    retention_days: s.retention_days,
    requests_per_minute: a.publication.visitor_requests_per_minute,
    max_question_chars: MAX_QUESTION_CHARS,
  };
}
