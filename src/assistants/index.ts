/** Assistants: stored and versioned, their functions called, their answers run, their conversations kept. */
export {
  checkSettings,
  fieldOf,
  functionHosts,
  hostAllowed,
  hostOf,
  parseSettings,
  type SettingsDeps,
} from "./check.ts";
export { ConversationStore, type NewMessage } from "./conversations.ts";
export {
  conversationExample,
  EXPORT_FILTERS,
  type ExportFilter,
  type ExportResult,
  exportConversations,
  type InstructionsSource,
  versionInstructions,
} from "./conversations-export.ts";
export {
  type RedactionCounts,
  redactAssistantConversations,
  redactConversation,
} from "./conversations-redact.ts";
export { callHttpFunction } from "./http/index.ts";
export { type RetentionSweep, startRetentionSweep } from "./retention.ts";
export { runTurn, type TurnDeps } from "./run/index.ts";
export { SECRETS_KEY_FILE, SecretBox } from "./secrets.ts";
export { AssistantStore } from "./store.ts";
export type {
  ClientCall,
  NetworkPolicy,
  RuntimeAssistant,
  RuntimeFunction,
  RuntimeHttpFunction,
  TurnEvent,
  TurnFinish,
  TurnRequest,
} from "./types.ts";
