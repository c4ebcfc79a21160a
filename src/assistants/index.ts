/** Assistants: stored and versioned, their functions called, their answers run, their conversations kept. */
export { ConversationStore, type NewMessage } from "./conversations.ts";
export { callHttpFunction } from "./http/index.ts";
export { runTurn, type TurnDeps } from "./run/index.ts";
export { SecretBox } from "./secrets.ts";
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
