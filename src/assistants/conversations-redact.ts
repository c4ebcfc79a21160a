/**
 * Personal data out of stored conversations, with the datasets' redaction (src/safety): e-mails,
 * phone numbers, cards, IBANs, national ids, IP addresses, secrets, and people's names when a
 * NameFinder (the engine's NER) is given. Each value gets a typed placeholder ("[EMAIL]",
 * "[EMAIL_2]") shared across the conversation's questions, answers, function calls and feedback, so
 * it still reads coherently. The knowledge base's sources are the owner's documents and stay.
 */
import type { ConversationMessage } from "../../protocol/assistants.ts";
import { type NameFinder, type PiiType, redactTexts } from "../safety/index.ts";
import type { ConversationStore, MessageRewrite } from "./conversations.ts";

export interface RedactionCounts {
  /** Conversations looked at, and those in which something was replaced. */
  conversations: number;
  changed: number;
  /** Occurrences replaced, per kind. */
  replaced: Partial<Record<PiiType, number>>;
}

export interface RedactOptions {
  /** People's names come from here (the engine); null finds the structured kinds only. */
  names: NameFinder | null;
  signal?: AbortSignal | undefined;
}

/** The texts of one message that may hold personal data, in a fixed order. */
function textsOf(m: ConversationMessage): string[] {
  return [
    m.content,
    ...m.function_calls.flatMap((c) => [c.arguments, c.output]),
    m.feedback?.comment ?? "",
    m.feedback?.correction ?? "",
  ];
}

function rebuilt(m: ConversationMessage, texts: string[]): MessageRewrite {
  let i = 0;
  const next = () => texts[i++] ?? "";
  const content = next();
  const function_calls = m.function_calls.map((c) => ({ ...c, arguments: next(), output: next() }));
  const comment = next();
  const correction = next();
  return {
    id: m.id,
    content,
    function_calls,
    feedback: m.feedback && {
      ...m.feedback,
      comment: m.feedback.comment === null ? null : comment,
      correction: m.feedback.correction === null ? null : correction,
    },
  };
}

const add = (into: Partial<Record<PiiType, number>>, from: Partial<Record<PiiType, number>>) => {
  for (const [k, n] of Object.entries(from) as [PiiType, number][]) into[k] = (into[k] ?? 0) + n;
};

/** Redacts one stored conversation in place and marks it redacted. */
export async function redactConversation(
  store: ConversationStore,
  conversationId: string,
  opts: RedactOptions,
): Promise<RedactionCounts> {
  const c = store.get(conversationId);
  const per = c.messages.map(textsOf);
  const { texts, replaced } = await redactTexts(per.flat(), {
    names: opts.names,
    signal: opts.signal,
  });
  let at = 0;
  const rewrites: MessageRewrite[] = [];
  c.messages.forEach((m, k) => {
    const before = per[k] ?? [];
    const after = texts.slice(at, at + before.length);
    at += before.length;
    if (after.some((t, j) => t !== before[j])) rewrites.push(rebuilt(m, after));
  });
  // a message written while the names were being found is left for the next redaction
  store.rewrite(conversationId, rewrites);
  const changed = rewrites.length > 0;
  return { conversations: 1, changed: changed ? 1 : 0, replaced };
}

/** Redacts every stored conversation of an assistant, one at a time (each its own placeholders). */
export async function redactAssistantConversations(
  store: ConversationStore,
  assistantId: string,
  opts: RedactOptions,
): Promise<RedactionCounts> {
  const total: RedactionCounts = { conversations: 0, changed: 0, replaced: {} };
  for (const id of store.ids(assistantId)) {
    if (!store.find(id)) continue; // deleted meanwhile
    opts.signal?.throwIfAborted();
    const r = await redactConversation(store, id, opts);
    total.conversations++;
    total.changed += r.changed;
    add(total.replaced, r.replaced);
  }
  return total;
}
