/**
 * The name finder Tailor had before the engine's named-entity model, kept for bench/names.ts to
 * measure against: compromise's part-of-speech tagger (`.people()`) behind a capitalisation
 * pre-filter, on pieces of at most 1,000 characters, as src/safety/pii.ts ran it until then (the
 * same code, wrapped as a NameFinder).
 */
import { createRequire } from "node:module";
import type nlpType from "compromise";
import type { NameFinder, NameSpan } from "../../src/safety/index.ts";

let loaded: typeof nlpType | null = null;
function nlp(): typeof nlpType {
  loaded ??= createRequire(import.meta.url)("compromise") as typeof nlpType;
  return loaded;
}

interface NlpTerm {
  text: string;
  tags?: string[];
  offset?: { start: number; length: number };
}

type Add = (start: number, end: number) => void;

const NAME_WORD = /^\p{Lu}[\p{L}\p{M}'’.-]*$/u;
const WORD = /^[\p{L}\p{M}'’.-]+$/u;
const MAYBE_NAME = /[^.!?\s]\s+\p{Lu}\p{Ll}/u;

function findPeople(text: string, add: Add): void {
  if (!MAYBE_NAME.test(text)) return;
  const people = nlp()(text)
    .people()
    .json({ offset: true, terms: { offset: true } }) as { terms?: NlpTerm[] }[];
  let cursor = 0;
  for (const person of people) {
    const words: { start: number; end: number; text: string }[] = [];
    for (const term of person.terms ?? []) {
      const guess = term.offset?.start ?? -1;
      const start =
        guess >= 0 && text.startsWith(term.text, guess) ? guess : text.indexOf(term.text, cursor);
      if (term.text === "" || start < 0) continue;
      cursor = start + term.text.length;
      if (term.tags?.includes("Honorific")) continue;
      const word = term.text.replace(/['’]s$/, "");
      words.push({ start, end: start + word.length, text: word });
    }
    while (words.length > 0 && !NAME_WORD.test(words[0]?.text ?? "")) words.shift();
    while (words.length > 0 && !NAME_WORD.test(words[words.length - 1]?.text ?? "")) words.pop();
    const first = words[0];
    const last = words[words.length - 1];
    if (!first || !last || !words.every((w) => WORD.test(w.text))) continue;
    add(first.start, last.end);
  }
}

function chunked(text: string, max: number, add: Add): void {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + max);
    const newline = text.indexOf("\n", start);
    if (newline >= 0 && newline < end) end = newline + 1;
    else if (end < text.length) {
      const piece = text.slice(start, end);
      let cut = piece.lastIndexOf(". ");
      for (let i = piece.length - 2; cut <= max / 2 && i > max / 2; i--) {
        if (/\s/.test(piece.charAt(i)) && /\p{L}/u.test(piece.charAt(i + 1))) cut = i;
      }
      if (cut > max / 2) end = start + cut + 1;
      else if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
    }
    const offset = start;
    findPeople(text.slice(start, end), (s, e) => add(s + offset, e + offset));
    start = end;
  }
}

export class CompromiseNameFinder implements NameFinder {
  async findNames(texts: string[]): Promise<NameSpan[][]> {
    return texts.map((text) => {
      const found: NameSpan[] = [];
      chunked(text, 1000, (start, end) => {
        if (end > start) found.push({ kind: "PERSON", start, end });
      });
      // as before: of overlapping candidates the longer wins
      return found.sort((a, b) => b.end - b.start - (a.end - a.start));
    });
  }
}
