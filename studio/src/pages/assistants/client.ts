/**
 * The Assistants page's types and its calls to the API (assistants, their versions and publication,
 * their conversations, and the models, knowledge bases and policies to pick from), in one place so
 * that the routes are named once.
 */

import type { AssistantObject } from "../../../../protocol/api/assistants.ts";
import type { ConversationRedactionResult as RedactionResult } from "../../../../protocol/api/conversations.ts";
import type {
  AssistantConversation,
  AssistantConversationWithMessages,
  AssistantSettings,
  AssistantSettingsInput,
  AssistantVersion,
  ConversationMessage,
  FunctionCallRecord,
  Publication,
  PublishInput,
} from "../../../../protocol/assistants.ts";
import { api, type Model, text, type VectorStore } from "../../api.ts";
import type { Policy } from "../moderation/client.ts";

export type {
  AssistantConversation,
  AssistantConversationWithMessages,
  AssistantObject,
  AssistantSettings,
  AssistantSettingsInput,
  AssistantVersion,
  ConversationMessage,
  FunctionCallRecord,
  Publication,
  PublishInput,
  RedactionResult,
};

interface List<T> {
  data: T[];
  has_more?: boolean;
}

const ASSISTANTS = "/v1/assistants";
const at = (id: string) => `${ASSISTANTS}/${encodeURIComponent(id)}`;
const conversations = (id: string) => `${at(id)}/conversations`;
const conversation = (id: string, conv: string) =>
  `${conversations(id)}/${encodeURIComponent(conv)}`;

export const listAssistants = async (): Promise<AssistantObject[]> =>
  (await api<List<AssistantObject>>(`${ASSISTANTS}?limit=100`)).data;

export const getAssistant = (id: string): Promise<AssistantObject> => api<AssistantObject>(at(id));

export const createAssistant = (body: AssistantSettingsInput): Promise<AssistantObject> =>
  api<AssistantObject>(ASSISTANTS, { body });

/** Every change makes a new version. */
export const updateAssistant = (
  id: string,
  body: AssistantSettingsInput,
): Promise<AssistantObject> => api<AssistantObject>(at(id), { body });

export const deleteAssistant = (id: string): Promise<unknown> => api(at(id), { method: "DELETE" });

/** Newest first. */
export const listVersions = async (id: string): Promise<AssistantVersion[]> =>
  (await api<List<AssistantVersion>>(`${at(id)}/versions`)).data
    .slice()
    .sort((a, b) => b.version - a.version);

export const publish = (id: string, body: PublishInput): Promise<AssistantObject> =>
  api<AssistantObject>(`${at(id)}/publish`, { body });

export const unpublish = (id: string): Promise<AssistantObject> =>
  api<AssistantObject>(`${at(id)}/unpublish`, { body: {} });

/** The page's full address. */
export const shareUrl = (a: AssistantObject): string | null => {
  const path =
    a.tailor.share_path ?? (a.tailor.publication.slug ? `/a/${a.tailor.publication.slug}` : null);
  return a.tailor.publication.published && path ? `${window.location.origin}${path}` : null;
};

/** Newest first. */
export const listConversations = async (
  id: string,
): Promise<{ data: AssistantConversation[]; more: boolean }> => {
  const r = await api<List<AssistantConversation>>(`${conversations(id)}?limit=100`);
  return { data: r.data, more: r.has_more === true };
};

export const getConversation = (
  id: string,
  conv: string,
): Promise<AssistantConversationWithMessages> =>
  api<AssistantConversationWithMessages>(conversation(id, conv));

export const deleteConversation = (id: string, conv: string): Promise<unknown> =>
  api(conversation(id, conv), { method: "DELETE" });

/** Replaces personal data (names, e-mails, phone numbers…) in one stored conversation. */
export const redactConversation = (id: string, conv: string): Promise<RedactionResult> =>
  api<RedactionResult>(`${conversation(id, conv)}/redact`, { body: {} });

/** … and in all of the assistant's conversations. */
export const redactConversations = (id: string): Promise<RedactionResult> =>
  api<RedactionResult>(`${conversations(id)}/redact`, { body: {} });

export type ExportFilter = "good" | "all";

/** The conversations as training JSONL (one chat per line), as the server writes it. */
export const exportConversations = (id: string, filter: ExportFilter): Promise<string> =>
  text(`${conversations(id)}/export?filter=${filter}`);

/** Models that write answers (no classifiers, embedders or moderation models). */
export const listChatModels = async (): Promise<Model[]> =>
  (await api<List<Model>>("/v1/models")).data.filter(
    (m) => m.tailor.kind !== "embedding" && m.tailor.kind !== "moderation" && !m.tailor.classifier,
  );

export const listKnowledgeBases = async (): Promise<VectorStore[]> =>
  (await api<List<VectorStore>>("/v1/vector_stores?limit=100")).data;

export const listPolicies = async (): Promise<Policy[]> =>
  (await api<List<Policy>>("/v1/moderation/policies")).data;
