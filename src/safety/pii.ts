// Finds personal data and secrets in free text, so that training examples can be redacted.
//
// Names (people; places and organisations when asked) come from a named-entity model in the engine,
// through a NameFinder (names.ts), in batches: findPiiBatch. The structured kinds are found here,
// synchronously (findPii). Libraries do the validating: validator (emails, Luhn for cards, IBAN
// checksums, IP addresses), libphonenumber-js with full metadata (phone numbers: US national
// format, any country with +). Regexes only find candidates for them, and cover the shapes no
// library knows:
// - NATIONAL_ID: US SSN (AAA-GG-SSSS without 000/666/9xx areas, 00 groups or 0000 serials),
//   UK National Insurance number (HMRC's letter rules and unallocated prefixes), Dutch BSN
//   (11-test, only after "BSN"/"burgerservicenummer"/"sofinummer"), Spanish DNI/NIE (mod-23
//   check letter).
// - SECRET: PEM private keys, AWS access key ids, GitHub tokens, OpenAI-style sk- keys, Slack
//   xox tokens, Stripe keys, Google API keys, JWTs, Bearer tokens, and the value of assignments
//   such as `password=...` or `"api_key": "..."`.
import { findPhoneNumbersInText } from "libphonenumber-js/max";
import validator from "validator";
import type { NameFinder, NameKind } from "./names.ts";

export const PII_TYPES = [
  "EMAIL",
  "PHONE",
  "CARD",
  "IBAN",
  "NATIONAL_ID",
  "IP",
  "SECRET",
  "PERSON",
  // only when asked for (findPiiBatch's `kinds`)
  "LOCATION",
  "ORGANIZATION",
] as const;
export type PiiType = (typeof PII_TYPES)[number];

/** One occurrence: `text === input.slice(start, end)` (UTF-16 offsets, end exclusive). */
export interface PiiFinding {
  type: PiiType;
  start: number;
  end: number;
  text: string;
  detail?: string;
}

/** The placeholders that redaction writes ("[EMAIL]", "[PHONE_2]"); never reported as PII. */
export const PLACEHOLDER_RE = new RegExp(`\\[(?:${PII_TYPES.join("|")})(?:_\\d+)?\\]`, "g");

type Sink = (type: PiiType, start: number, end: number, detail?: string) => void;

const EMAIL_RE = /(?<![\p{L}\p{N}._%+'-])[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;

function findEmails(text: string, add: Sink): void {
  for (const m of text.matchAll(EMAIL_RE)) {
    const lead = /^[.'%+-]*/.exec(m[0])?.[0].length ?? 0;
    const start = m.index + lead;
    if (validator.isEmail(m[0].slice(lead))) add("EMAIL", start, m.index + m[0].length);
  }
}

function findPhones(text: string, add: Sink): void {
  let previousEnd = -1;
  for (const m of findPhoneNumbersInText(text, "US")) {
    // Digits or letters glued to either side mean an id or a code, not a phone number (unless
    // what is glued before is the previous phone number).
    const before = text.slice(Math.max(0, m.startsAt - 2), m.startsAt);
    if (m.startsAt !== previousEnd && /[\p{L}\p{N}_]$|[\p{L}\p{N}][-/.]$/u.test(before)) continue;
    if (/^[\p{L}\p{N}_]/u.test(text.slice(m.endsAt))) continue;
    previousEnd = m.endsAt;
    add("PHONE", m.startsAt, m.endsAt, m.number.country ?? `+${m.number.countryCallingCode}`);
  }
}

const CARD_RE =
  /(?<![\w-]|\d\.)(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5})(?![\w-]|\.\d)/g;
const CARD_BRANDS = [
  ["amex", "American Express"],
  ["dinersclub", "Diners Club"],
  ["discover", "Discover"],
  ["jcb", "JCB"],
  ["mastercard", "Mastercard"],
  ["unionpay", "UnionPay"],
  ["visa", "Visa"],
] as const;

/** Like matchAll, but when `accept` rejects a match the search resumes one character later. */
function scan(re: RegExp, text: string, accept: (m: RegExpExecArray) => boolean): void {
  const search = new RegExp(re);
  for (let m = search.exec(text); m; m = search.exec(text)) {
    if (!accept(m)) search.lastIndex = m.index + 1;
  }
}

/** `candidate`, then shorter and shorter by dropping its last separated group. */
function* shortenings(candidate: string, separator: RegExp): Generator<string> {
  for (let c = candidate; c !== ""; ) {
    yield c;
    const cut = Math.max(-1, ...[...c.matchAll(separator)].map((m) => m.index));
    c = cut < 0 ? "" : c.slice(0, cut);
  }
}

// A greedy match may have swallowed a following group of digits or capitals: drop groups from
// the end until the rest is valid.
function findCards(text: string, add: Sink): void {
  scan(CARD_RE, text, (m) => {
    for (const candidate of shortenings(m[0], /[ -]/g)) {
      const digits = candidate.replace(/\D/g, "");
      if (digits.length < 13 || !validator.isCreditCard(digits)) continue;
      const brand = CARD_BRANDS.find(([provider]) => validator.isCreditCard(digits, { provider }));
      add("CARD", m.index, m.index + candidate.length, brand?.[1]);
      return true;
    }
    return false;
  });
}

const IBAN_RE = /(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?/g;

function findIbans(text: string, add: Sink): void {
  scan(IBAN_RE, text, (m) => {
    for (const candidate of shortenings(m[0], / /g)) {
      const compact = candidate.replace(/ /g, "");
      if (/\w/.test(text.charAt(m.index + candidate.length)) || !validator.isIBAN(compact))
        continue;
      add("IBAN", m.index, m.index + candidate.length, compact.slice(0, 2));
      return true;
    }
    return false;
  });
}

const SSN_RE = /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])/g;
const NINO_RE = /(?<!\w)([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?\d{2} ?\d{2} ?\d{2} ?[A-D](?!\w)/g;
const NINO_UNALLOCATED = new Set(["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"]);
const BSN_RE =
  /\b(?:BSN|burgerservicenummer|sofinummer)\b[^\d\n]{0,20}(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-]|\.\d)/dgi;
const DNI_RE = /(?<![\w-])([XYZ]\d{7}|\d{8})-?([A-Z])(?!\w)/g;
const DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE";

function findNationalIds(text: string, add: Sink): void {
  for (const m of text.matchAll(SSN_RE)) {
    const [, area = "", group = "", serial = ""] = m;
    if (area === "000" || area === "666" || area.startsWith("9")) continue;
    if (group === "00" || serial === "0000") continue;
    add("NATIONAL_ID", m.index, m.index + m[0].length, "US SSN");
  }
  for (const m of text.matchAll(NINO_RE)) {
    if (NINO_UNALLOCATED.has(m[1] ?? "")) continue;
    add("NATIONAL_ID", m.index, m.index + m[0].length, "UK National Insurance number");
  }
  for (const m of text.matchAll(BSN_RE)) {
    const span = m.indices?.[1];
    const digits = (m[1] ?? "").replace(/\./g, "");
    if (!span || /^0+$/.test(digits)) continue;
    // The 11-test: 9*d1 + 8*d2 + ... + 2*d8 - d9 must be divisible by 11.
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (i === 8 ? -1 : 9 - i);
    if (sum % 11 === 0) add("NATIONAL_ID", span[0], span[1], "Dutch BSN");
  }
  for (const m of text.matchAll(DNI_RE)) {
    const body = m[1] ?? "";
    const n = Number(body.replace(/^[XYZ]/, (c) => String("XYZ".indexOf(c))));
    const detail = /^\d/.test(body) ? "Spanish DNI" : "Spanish NIE";
    if (DNI_LETTERS[n % 23] === m[2]) add("NATIONAL_ID", m.index, m.index + m[0].length, detail);
  }
}

// Only 4-part dotted quads: "1.2.3" and "1.2.3.4.5" are version numbers, not addresses.
const IPV4_RE = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)/g;
// The lookahead-and-backreference takes the whole run of hex, colons and dots, without backtracking.
const IPV6_RE = /(?<![\w:.])(?=([0-9A-Fa-f:.]{2,}))\1(?![\w:])/g;

function findIps(text: string, add: Sink): void {
  for (const m of text.matchAll(IPV4_RE)) {
    if (validator.isIP(m[0], 4)) add("IP", m.index, m.index + m[0].length, "IPv4");
  }
  for (const m of text.matchAll(IPV6_RE)) {
    const candidate = m[0].replace(/\.+$/, "");
    if ((candidate.match(/:/g) ?? []).length < 2 || !/[0-9A-Fa-f]/.test(candidate)) continue;
    if (validator.isIP(candidate, 6)) add("IP", m.index, m.index + candidate.length, "IPv6");
  }
}

const SECRET_SHAPES: readonly (readonly [RegExp, string])[] = [
  [
    /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----(?:[\s\S]*?-----END \1PRIVATE KEY-----|[A-Za-z0-9+/=\s]*)/g,
    "private key",
  ],
  [/(?<![\w-])(?:AKIA|ASIA)[0-9A-Z]{16}(?![\w-])/g, "AWS access key"],
  [/(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_\w{22,255})(?![\w-])/g, "GitHub token"],
  [/(?<![\w-])sk-(?=[\w-]*\d)[\w-]{20,}(?![\w-])/g, "OpenAI-style API key"],
  [/(?<![\w-])xox[bpars]-[A-Za-z0-9-]{10,}(?![\w-])/g, "Slack token"],
  [/(?<![\w-])(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}(?![\w-])/g, "Stripe key"],
  [/(?<![\w-])AIza[\w-]{35}(?![\w-])/g, "Google API key"],
  [/(?<![\w-])eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]+(?![\w-])/g, "JWT"],
];
const BEARER_RE = /\bBearer\s+([\w.~+/-]{16,}=*)/dg;
// `key = value`, `key: value`, `"key": "value"`, where the key ends in a secret-sounding word.
const ASSIGNMENT_RE =
  /(?<![\w.-])[\w.-]{0,40}?(?:password|passwd|secret|secret[_-]?key|api[_-]?key|apikey|access[_-]?key|private[_-]?key|token|credentials?)["']?\s*(:=|=>|=|:)\s*(?:"([^"\n]{4,200})"|'([^'\n]{4,200})'|([^\s"'`,;]{4,200}))/dgi;
const NOT_A_VALUE =
  /^(?:\[[A-Z0-9_]+\]|<[^>]*>|\$\{?\w+\}?|\{\{.*\}\}|\*+|x+|\.+|null|none|nil|true|false|undefined|required|optional|process\.env\..*|os\.environ.*)$/i;

function findSecrets(text: string, add: Sink): void {
  for (const [re, detail] of SECRET_SHAPES) {
    for (const m of text.matchAll(re)) add("SECRET", m.index, m.index + m[0].length, detail);
  }
  for (const m of text.matchAll(BEARER_RE)) {
    const span = m.indices?.[1];
    if (span) add("SECRET", span[0], span[1], "bearer token");
  }
  for (const m of text.matchAll(ASSIGNMENT_RE)) {
    const group = m[2] !== undefined ? 2 : m[3] !== undefined ? 3 : 4;
    const span = m.indices?.[group];
    if (!span) continue;
    let value = m[group] ?? "";
    if (group === 4) {
      value = value.replace(/[.)\]}>]+$/, "");
      // Prose ("your password: click here") and code (`token = getToken()`, `key = cfg.key`).
      if (m[1] === ":" && /^\p{L}+$/u.test(value)) continue;
      if (/[([{]|^[A-Za-z_$][\w$]*\.[A-Za-z_$]/.test(value)) continue;
    }
    if (value.length < 4 || NOT_A_VALUE.test(value)) continue;
    add("SECRET", span[0], span[0] + value.length, "credential assignment");
  }
}

/** Runs `detect` on pieces of at most `max` characters (libraries slow down on long inputs). */
function chunked(max: number, detect: (text: string, add: Sink) => void) {
  return (text: string, add: Sink): void => {
    let start = 0;
    while (start < text.length) {
      let end = Math.min(text.length, start + max);
      const newline = text.indexOf("\n", start);
      if (newline >= 0 && newline < end) end = newline + 1;
      else if (end < text.length) {
        // Cut after a sentence, else before a word, else anywhere but inside a surrogate pair.
        const piece = text.slice(start, end);
        let cut = piece.lastIndexOf(". ");
        for (let i = piece.length - 2; cut <= max / 2 && i > max / 2; i--) {
          if (/\s/.test(piece.charAt(i)) && /\p{L}/u.test(piece.charAt(i + 1))) cut = i;
        }
        if (cut > max / 2) end = start + cut + 1;
        else if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
      }
      const offset = start;
      detect(text.slice(start, end), (type, s, e, detail) =>
        add(type, s + offset, e + offset, detail),
      );
      start = end;
    }
  };
}

interface Span {
  start: number;
  end: number;
}

/** `text` with the given spans overwritten by `fill`, so offsets stay the same. */
function mask(text: string, spans: Span[], fill: string): string {
  let out = "";
  let last = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start < last) continue;
    out += text.slice(last, s.start) + fill.repeat(s.end - s.start);
    last = s.end;
  }
  return out + text.slice(last);
}

interface Structured {
  findings: PiiFinding[];
  /** Spans nothing else may overlap: placeholders and the findings. */
  taken: Span[];
}

function findStructured(text: string): Structured {
  // Existing placeholders are never PII, and nothing may overlap them.
  const taken: Span[] = [...text.matchAll(PLACEHOLDER_RE)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
  }));
  const findings: PiiFinding[] = [];
  // Detectors run from the most specific to the least: when candidates overlap, the earlier
  // detector wins, then the longer candidate (a card number is not also a phone number).
  const stage = (seen: string, detectors: ((text: string, add: Sink) => void)[]): number => {
    const candidates: { finding: PiiFinding; rank: number }[] = [];
    for (const [i, detect] of detectors.entries()) {
      detect(seen, (type, start, end, detail) => {
        if (end <= start) return;
        const finding: PiiFinding = { type, start, end, text: text.slice(start, end) };
        if (detail !== undefined) finding.detail = detail;
        candidates.push({ finding, rank: i * 1e9 - (end - start) });
      });
    }
    const before = findings.length;
    for (const { finding } of candidates.sort((a, b) => a.rank - b.rank)) {
      if (taken.some((t) => finding.start < t.end && t.start < finding.end)) continue;
      taken.push(finding);
      findings.push(finding);
    }
    return findings.length - before;
  };
  stage(text, [findSecrets, findEmails, findIbans, findCards, findNationalIds, findIps]);
  // libphonenumber reads "555-2671 123-45-6789" as one (invalid) number: hide what was found,
  // and look again once the numbers found are hidden too (as they are after redaction).
  for (let i = 0; i < 3; i++) {
    if (stage(mask(text, taken, "|"), [chunked(2000, findPhones)]) === 0) break;
  }
  return { findings, taken };
}

const byStart = (a: PiiFinding, b: PiiFinding) => a.start - b.start;

/**
 * The structured kinds in `text` (everything but names: e-mails, phones, cards, IBANs, national
 * IDs, IP addresses, secrets), sorted by start and non-overlapping. Names need findPiiBatch.
 */
export function findPii(text: string): PiiFinding[] {
  return findStructured(text).findings.sort(byStart);
}

export interface FindPiiOptions {
  /**
   * Where names come from: the engine's NameFinder in the CLI and the server (a stand-in in unit
   * tests); null only where the caller means to find no names at all.
   */
  names: NameFinder | null;
  /** Names to find (default people only; places and organisations when a caller asks). */
  kinds?: readonly NameKind[] | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * All PII in each text: the structured kinds, then names from `names` in one batch over all the
 * texts (with the structured findings and placeholders hidden, so a name never overlaps them).
 * Each text's findings are sorted by start and non-overlapping.
 */
export async function findPiiBatch(
  texts: readonly string[],
  opts: FindPiiOptions,
): Promise<PiiFinding[][]> {
  const parts = texts.map(findStructured);
  const found = opts.names
    ? await opts.names.findNames(
        parts.map((p, i) => mask(texts[i] ?? "", p.taken, " ")),
        { kinds: opts.kinds ?? ["PERSON"], signal: opts.signal },
      )
    : [];
  return parts.map(({ findings, taken }, i) => {
    const text = texts[i] ?? "";
    for (const name of found[i] ?? []) {
      const { kind: type, start, end } = name;
      if (!(start >= 0 && start < end && end <= text.length)) continue;
      if (taken.some((t) => start < t.end && t.start < end)) continue;
      const finding: PiiFinding = { type, start, end, text: text.slice(start, end) };
      if (/^\s|\s$/.test(finding.text)) continue; // a name never starts or ends with a space
      taken.push(finding);
      findings.push(finding);
    }
    return findings.sort(byStart);
  });
}
