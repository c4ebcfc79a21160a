export {
  EngineModerator,
  MODEL_CARD_FILE,
  MODERATION_MODEL,
  MODERATION_MODEL_ALIASES,
  type Moderator,
  moderationCard,
} from "./moderation/index.ts";
export {
  EngineNameFinder,
  type EngineNameFinderOptions,
  type FindNamesOptions,
  NAME_KINDS,
  type NameEngine,
  type NameFinder,
  type NameKind,
  type NameSpan,
} from "./names.ts";
export {
  type FindPiiOptions,
  findPii,
  findPiiBatch,
  PII_TYPES,
  type PiiFinding,
  type PiiType,
  PLACEHOLDER_RE,
} from "./pii.ts";
export { placeholder, type RedactionResult, redactFound, redactTexts } from "./redact.ts";
