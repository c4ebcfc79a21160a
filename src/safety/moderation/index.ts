// Policies (what to check on a chat's input and output) and the flags they log.

export { moderationCard } from "./card.ts";
export { ChatModeration, type ModerationDeps, moderationFor } from "./enforce.ts";
export { type GuardedEvent, StreamGuard } from "./enforce-stream.ts";
export { FlagStore } from "./flags.ts";
export {
  HEAD_FILE,
  type Head,
  MODEL_CARD_FILE,
  MODERATION_MODEL,
  MODERATION_MODEL_ALIASES,
  readHead,
} from "./head.ts";
export { type Embedder, EngineModerator, type EngineModeratorOptions } from "./model.ts";
export { type ActivePolicy, CompiledPolicy } from "./policy-eval.ts";
export { type AttachTargets, PolicyStore } from "./policy-store.ts";
export type { Moderator } from "./port.ts";
export { windows } from "./windows.ts";
