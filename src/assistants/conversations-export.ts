/**
 * Stored conversations as training data: one chat JSONL line per conversation, in the format Tailor
 * fine-tunes on (`{"messages": [system, user, assistant, ...]}`), the system message being the
 * instructions of the version that answered. With the filter `good` (the default) only what visitors
 * did not reject is kept: a conversation is cut before its first answer rated down or marked wrong,
 * and an answer with a correction is replaced by the correction (and kept).
 */
import type { AssistantConversationWithMessages } from "../../protocol/assistants.ts";
import type { ChatMessage } from "../../protocol/index.ts";
import type { ConversationStore } from "./conversations.ts";

export const EXPORT_FILTERS = ["good", "all"] as const;
export type ExportFilter = (typeof EXPORT_FILTERS)[number];

/** Where the system message comes from: a version's instructions ("" for none). */
export interface InstructionsSource {
  instructionsOf(assistantId: string, version: number): string;
}

/** The assistants' store as far as instructions go (AssistantStore.versions fits it). */
export interface VersionLister {
  versions(assistantId: string): { version: number; settings: { instructions: string } }[];
}

/** Instructions read from the assistants' versions, each assistant's read once. */
export function versionInstructions(store: VersionLister): InstructionsSource {
  const cache = new Map<string, Map<number, string>>();
  return {
    instructionsOf(assistantId, version) {
      let versions = cache.get(assistantId);
      if (!versions) {
        versions = new Map(
          store.versions(assistantId).map((v) => [v.version, v.settings.instructions]),
        );
        cache.set(assistantId, versions);
      }
      return versions.get(version) ?? "";
    },
  };
}

/**
 * One conversation as a training example, or null when nothing in it can be learnt (no answer kept).
 * Answers without text (only client function calls, or an error) end the example: what follows them
 * answered something the example cannot show. Function calls are not exported; the answer's text is.
 */
export function conversationExample(
  c: AssistantConversationWithMessages,
  filter: ExportFilter,
  instructions: InstructionsSource,
): { messages: ChatMessage[] } | null {
  const kept: ChatMessage[] = [];
  let version: number | null = null;
  for (const m of c.messages) {
    if (m.role === "user") {
      if (m.content.trim() !== "") kept.push({ role: "user", content: m.content });
      continue;
    }
    const f = m.feedback;
    const correction = f?.correction?.trim() ? f.correction : null;
    const rejected = f !== null && (f.rating === "down" || f.wrong);
    if (filter === "good" && correction === null && rejected) break;
    const text = filter === "good" && correction !== null ? correction : m.content;
    if (text.trim() === "" || m.finish_reason === "error") break;
    kept.push({ role: "assistant", content: text });
    version ??= m.version;
  }
  // a question left without an answer teaches nothing
  while (kept.length > 0 && kept.at(-1)?.role !== "assistant") kept.pop();
  if (kept.length === 0) return null;
  const system = version === null ? "" : instructions.instructionsOf(c.assistant_id, version);
  return {
    messages: system.trim() === "" ? kept : [{ role: "system", content: system }, ...kept],
  };
}

export interface ExportResult {
  /** One line per conversation kept, each ending with "\n". */
  jsonl: string;
  /** Conversations written, and those with nothing to learn from (after the filter). */
  conversations: number;
  skipped: number;
}

/** All of an assistant's stored conversations as chat JSONL, oldest first. */
export function exportConversations(
  store: ConversationStore,
  assistantId: string,
  opts: { filter?: ExportFilter; instructions: InstructionsSource },
): ExportResult {
  const filter = opts.filter ?? "good";
  let jsonl = "";
  let conversations = 0;
  let skipped = 0;
  for (const id of store.ids(assistantId)) {
    const c = store.find(id); // deleted since the ids were read: nothing to export
    const example = c ? conversationExample(c, filter, opts.instructions) : null;
    if (example === null) {
      skipped++;
      continue;
    }
    jsonl += `${JSON.stringify(example)}\n`;
    conversations++;
  }
  return { jsonl, conversations, skipped };
}
