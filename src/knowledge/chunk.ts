import type { Chunk, Section } from "./types.ts";

export interface ChunkingOptions {
  /** Longest chunk, in characters (all-MiniLM-L6-v2 reads about 1,000 characters of English). */
  maxChars: number;
  /** Characters of whole sentences repeated from the end of one chunk at the start of the next. */
  overlapChars: number;
}

export const DEFAULT_CHUNKING: ChunkingOptions = { maxChars: 800, overlapChars: 160 };

const sentences = new Intl.Segmenter("en", { granularity: "sentence" });

/**
 * Cuts sections into chunks of at most `maxChars`, never across a heading or a page, ending at a
 * sentence (or, for a sentence too long on its own, at a word), each starting with the last
 * sentences of the one before (up to `overlapChars`).
 */
export function chunkSections(
  sections: Section[],
  opts: ChunkingOptions = DEFAULT_CHUNKING,
): Chunk[] {
  const chunks: Chunk[] = [];
  for (const section of sections) {
    for (const text of packUnits(units(section.text, opts.maxChars), opts)) {
      chunks.push({ text, page: section.page, heading: section.heading, seq: chunks.length });
    }
  }
  return chunks;
}

interface Unit {
  text: string;
  /** The unit starts a paragraph. */
  paragraph: boolean;
}

/** Sentences, paragraph by paragraph; a sentence longer than `max` is cut between words. */
function units(text: string, max: number): Unit[] {
  const out: Unit[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    const p = paragraph.replace(/[ \t]*\n[ \t]*/g, "\n").trim();
    if (!p) continue;
    let first = true;
    for (const { segment } of sentences.segment(p)) {
      const s = segment.trim();
      if (!s) continue;
      for (const piece of s.length <= max ? [s] : byWords(s, max)) {
        out.push({ text: piece, paragraph: first });
        first = false;
      }
    }
  }
  return out;
}

function byWords(s: string, max: number): string[] {
  const out: string[] = [];
  let cur = "";
  for (const word of s.split(/\s+/)) {
    for (let w = word; w; w = w.slice(max)) {
      const piece = w.slice(0, max);
      if (cur && cur.length + 1 + piece.length > max) {
        out.push(cur);
        cur = "";
      }
      cur = cur ? `${cur} ${piece}` : piece;
    }
  }
  if (cur) out.push(cur);
  return out;
}

function join(us: Unit[]): string {
  return us.map((u, i) => (i === 0 ? u.text : `${u.paragraph ? "\n\n" : " "}${u.text}`)).join("");
}

function packUnits(all: Unit[], { maxChars, overlapChars }: ChunkingOptions): string[] {
  const out: string[] = [];
  let cur: Unit[] = [];
  let fresh = 0; // units in `cur` that are not overlap from the chunk before
  for (const u of all) {
    if (cur.length && join([...cur, u]).length > maxChars) {
      if (fresh > 0) out.push(join(cur));
      // carry whole trailing sentences that fit in the overlap and leave room for this unit
      const carry: Unit[] = [];
      for (let i = cur.length - 1; i >= 0; i--) {
        const next = [cur[i] as Unit, ...carry];
        if (join(next).length > overlapChars || join([...next, u]).length > maxChars) break;
        carry.unshift(cur[i] as Unit);
      }
      cur = carry;
      fresh = 0;
    }
    cur.push(u);
    fresh++;
  }
  if (fresh > 0) out.push(join(cur));
  return out;
}
