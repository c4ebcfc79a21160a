export { byCategory, forgettingLimitation, forgettingMarkdown } from "./card.ts";
export { type Check, describeCheck, isRefusal, passes } from "./checkers.ts";
export { forgettingHtml } from "./html.ts";
export { baseIdentity, type GeneralSetOptions, generalSetCacheDir, runGeneralSet } from "./run.ts";
export {
  GENERAL_MAX_TOKENS,
  GENERAL_SET_FILE,
  GENERAL_SET_NAME,
  type GeneralSet,
  generalSet,
  parseGeneralSet,
} from "./set.ts";
export {
  concernOf,
  forgettingCheck,
  lostItems,
  REVIEW_MIN_LOST,
  REVIEW_SHARE,
  skippedCheck,
  withForgetting,
} from "./verdict.ts";
