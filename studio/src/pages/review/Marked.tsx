/**
 * A text with the personal data found in it marked: the server reports each finding masked (its
 * first and last characters kept: "a****************m"), so the page finds it again by those ends and
 * its length; and the tags a redaction wrote ("[EMAIL]", "[PERSON_2]") are marked as redacted.
 */
import type { ReactNode } from "react";
import type { PiiFinding } from "./client.ts";

const KINDS: Record<string, string> = {
  EMAIL: "e-mail address",
  PHONE: "phone number",
  CARD: "card number",
  IBAN: "bank account number",
  NATIONAL_ID: "national id number",
  IP: "IP address",
  SECRET: "password or key",
  PERSON: "person's name",
  LOCATION: "place",
  ORGANIZATION: "organisation",
};

/** A kind of personal data in words ("EMAIL" is "e-mail address"). */
export const kindWords = (kind: string): string =>
  KINDS[kind.toUpperCase()] ?? kind.toLowerCase().replaceAll("_", " ");

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A pattern that finds the text a masked excerpt stands for, or null when it cannot be told. */
export function excerptPattern(excerpt: string): string | null {
  const chars = [...excerpt];
  if (chars.length < 2) return null;
  const masked = /^(.)([*•…]+)(.)$/u.exec(excerpt);
  if (!masked) return literal(excerpt);
  const [, first = "", stars = "", last = ""] = masked;
  // "…" hides a length it does not tell; stars keep it
  const middle = /^\*+$/.test(stars) || /^•+$/.test(stars) ? `.{${[...stars].length}}` : ".+?";
  return `${literal(first)}${middle}${literal(last)}`;
}

const TAGS = String.raw`\[(?:[A-Z_]+?)(?:_\d+)?\]`;

/** Splits `text` into plain parts and marked ones (found personal data, redaction tags). */
export function marks(
  text: string,
  found: PiiFinding[],
): { text: string; kind: string | null; redacted: boolean }[] {
  const patterns = found
    .map((f) => ({ kind: f.kind, p: excerptPattern(f.excerpt) }))
    .filter((x): x is { kind: string; p: string } => x.p !== null);
  const all = new RegExp([...patterns.map((x) => `(${x.p})`), `(${TAGS})`].join("|"), "gu");
  const parts: { text: string; kind: string | null; redacted: boolean }[] = [];
  let at = 0;
  for (const m of text.matchAll(all)) {
    if (!m[0]) continue;
    if (m.index > at) parts.push({ text: text.slice(at, m.index), kind: null, redacted: false });
    const group = m.slice(1).findIndex((g) => g !== undefined);
    const tag = group === patterns.length;
    parts.push({
      text: m[0],
      kind: kindWords(tag ? m[0].replace(/^\[|(?:_\d+)?\]$/g, "") : (patterns[group]?.kind ?? "")),
      redacted: tag,
    });
    at = m.index + m[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), kind: null, redacted: false });
  return parts;
}

/** The text, with what was found in it marked and named for a screen reader. */
export function Marked({ text, found }: { text: string; found: PiiFinding[] }): ReactNode {
  return marks(text, found).map((p, i) =>
    p.kind === null ? (
      p.text
    ) : (
      <mark
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one text, in order
        key={i}
        className={p.redacted ? "review-tag" : "review-pii"}
        title={p.redacted ? `redacted ${p.kind}` : `personal data: ${p.kind}`}
      >
        <span className="sr-only">
          {p.redacted ? "(redacted) " : `(personal data, ${p.kind}) `}
        </span>
        {p.text}
      </mark>
    ),
  );
}
