export {
  EngineModerator,
  MODEL_CARD_FILE,
  MODERATION_MODEL,
  MODERATION_MODEL_ALIASES,
  type Moderator,
  moderationCard,
} from "./moderation/index.ts";
export { findPii, PII_TYPES, type PiiFinding, type PiiType, PLACEHOLDER_RE } from "./pii.ts";
export { placeholder, type RedactionResult, redactTexts } from "./redact.ts";
