export {
  HEAD_FILE,
  type Head,
  MODEL_CARD_FILE,
  MODERATION_MODEL,
  MODERATION_MODEL_ALIASES,
  readHead,
} from "./head.ts";
export { type Embedder, EngineModerator, type EngineModeratorOptions } from "./model.ts";
export type { Moderator } from "./port.ts";
export { windows } from "./windows.ts";
