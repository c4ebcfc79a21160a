/**
 * Personal data for policies: where it is in a text (src/safety's detectors, called from this one
 * place: the structured kinds, and people's names from the engine's named-entity model through a
 * NameFinder), and typed placeholders as src/safety/redact.ts writes them, the same value getting
 * the same placeholder in every text of one request.
 */
import type { NameFinder } from "../names.ts";
import { findPiiBatch, type PiiFinding } from "../pii.ts";
import { placeholder } from "../redact.ts";

export type { PiiFinding };

/**
 * The personal data in each text, sorted by start and not overlapping; people's names from
 * `names` (the server and the CLI give the engine's; null: none are looked for).
 */
export async function findPersonalData(
  texts: readonly string[],
  names: NameFinder | null,
  signal?: AbortSignal,
): Promise<PiiFinding[][]> {
  return findPiiBatch(texts, { names, signal });
}

const key = (f: PiiFinding) => `${f.type}\u0000${f.text.replace(/\s+/g, " ").toLowerCase()}`;

/** Hands out placeholders across the texts of one request: "[EMAIL]", then "[EMAIL_2]" for another address. */
export class Placeholders {
  readonly #assigned = new Map<string, string>();
  readonly #next = new Map<string, number>();

  for(f: PiiFinding): string {
    const known = this.#assigned.get(key(f));
    if (known) return known;
    const n = this.#next.get(f.type) ?? 1;
    this.#next.set(f.type, n + 1);
    const fresh = placeholder(f.type, n);
    this.#assigned.set(key(f), fresh);
    return fresh;
  }
}

/** `text[from, to)` with the findings inside it replaced by placeholders (offsets are `text`'s). */
export function redactRange(
  text: string,
  findings: readonly PiiFinding[],
  names: Placeholders,
  from = 0,
  to = text.length,
): string {
  let out = "";
  let last = from;
  for (const f of findings) {
    if (f.start < from || f.end > to) continue;
    out += text.slice(last, f.start) + names.for(f);
    last = f.end;
  }
  return out + text.slice(last, to);
}
