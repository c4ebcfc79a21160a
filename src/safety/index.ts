export { findPii, PII_TYPES, type PiiFinding, type PiiType, PLACEHOLDER_RE } from "./pii.ts";
export { placeholder, type RedactionResult, redactTexts } from "./redact.ts";
