// Replaces the PII of one training example with typed placeholders: the first distinct email
// becomes "[EMAIL]", the second "[EMAIL_2]", and the same value gets the same placeholder in
// every string of the example, so a conversation stays coherent after redaction.
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import {
  type FindPiiOptions,
  findPiiBatch,
  type PiiFinding,
  type PiiType,
  PLACEHOLDER_RE,
} from "./pii.ts";

export interface RedactionResult {
  texts: string[];
  /** How many occurrences of each type were replaced. */
  replaced: Partial<Record<PiiType, number>>;
}

export function placeholder(type: PiiType, n: number): string {
  return n === 1 ? `[${type}]` : `[${type}_${n}]`;
}

/** What makes two findings "the same value", e.g. "(415) 555-2671" and "+1 415 555 2671". */
function sameValueKey(finding: PiiFinding): string {
  const { type, text } = finding;
  switch (type) {
    case "EMAIL":
    case "IP":
      return text.toLowerCase();
    case "PHONE":
      return parsePhoneNumberFromString(text, "US")?.number ?? text.replace(/\D/g, "");
    case "CARD":
      return text.replace(/\D/g, "");
    case "IBAN":
    case "NATIONAL_ID":
      return text.replace(/[^0-9A-Za-z]/g, "").toUpperCase();
    case "PERSON":
    case "LOCATION":
    case "ORGANIZATION":
      return text.replace(/\s+/g, " ").toLowerCase();
    case "SECRET":
      return text;
  }
}

/**
 * Finds the PII in all the strings of one example (names through `opts.names`) and redacts them
 * with placeholders shared across them.
 */
export async function redactTexts(texts: string[], opts: FindPiiOptions): Promise<RedactionResult> {
  return redactFound(texts, await findPiiBatch(texts, opts));
}

/** Redacts all the strings of one example, given each string's findings (findPiiBatch's). */
export function redactFound(texts: string[], found: PiiFinding[][]): RedactionResult {
  // Placeholders already in the input (say, from an earlier pass) keep their meaning: new
  // values are numbered past them instead of being merged with them.
  const used = new Set(texts.flatMap((t) => t.match(PLACEHOLDER_RE) ?? []));
  const assigned = new Map<string, string>();
  const next: Partial<Record<PiiType, number>> = {};
  const replaced: Partial<Record<PiiType, number>> = {};

  const placeholderFor = (finding: PiiFinding): string => {
    const key = `${finding.type}\u0000${sameValueKey(finding)}`;
    const known = assigned.get(key);
    if (known !== undefined) return known;
    let n = next[finding.type] ?? 1;
    while (used.has(placeholder(finding.type, n))) n++;
    const fresh = placeholder(finding.type, n);
    next[finding.type] = n + 1;
    used.add(fresh);
    assigned.set(key, fresh);
    return fresh;
  };

  const out = texts.map((text, i) => {
    let result = "";
    let last = 0;
    for (const finding of found[i] ?? []) {
      result += text.slice(last, finding.start) + placeholderFor(finding);
      last = finding.end;
      replaced[finding.type] = (replaced[finding.type] ?? 0) + 1;
    }
    return result + text.slice(last);
  });
  return { texts: out, replaced };
}
