/**
 * A long text is moderated in windows: its sentences grouped up to about `words` words, each window
 * after the first starting with the end of the one before (about `overlap` words), so that a harmful
 * sentence is scored next to its context and a short one is not drowned by a long ordinary text.
 * The sentence encoder reads at most 256 word pieces anyway; a window stays well under that.
 */

export interface WindowOptions {
  words: number;
  overlap: number;
}

export const DEFAULT_WINDOW: WindowOptions = { words: 60, overlap: 15 };

/** Sentences (and lines): the text cut after `.`, `!`, `?` or `…` followed by space, and at line breaks. */
export function sentences(text: string): string[] {
  return text
    .split(/\n+|(?<=[.!?…]["')\]]?)\s+/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const wordsOf = (s: string): string[] => s.split(/\s+/u).filter((w) => w.length > 0);

/** The windows of a text: the whole text when it is short, otherwise overlapping groups of sentences. */
export function windows(text: string, opts: WindowOptions = DEFAULT_WINDOW): string[] {
  const trimmed = text.trim();
  if (trimmed.length === 0) return [""];
  if (wordsOf(trimmed).length <= opts.words) return [trimmed];
  // pieces: sentences, a sentence longer than a window cut into window-sized runs of words
  const pieces: string[][] = [];
  for (const s of sentences(trimmed)) {
    const w = wordsOf(s);
    const step = Math.max(1, opts.words - opts.overlap);
    if (w.length <= opts.words) pieces.push(w);
    else for (let i = 0; i < w.length; i += step) pieces.push(w.slice(i, i + opts.words));
  }
  const out: string[] = [];
  let i = 0;
  while (i < pieces.length) {
    const window: string[] = [];
    let j = i;
    while (j < pieces.length) {
      const p = pieces[j] as string[];
      if (window.length > 0 && window.length + p.length > opts.words) break;
      window.push(...p);
      j++;
    }
    out.push(window.join(" "));
    if (j >= pieces.length) break;
    // the next window starts with the trailing pieces of this one that fit in the overlap
    let back = j;
    let shared = 0;
    while (back - 1 > i && shared + (pieces[back - 1] as string[]).length <= opts.overlap) {
      back--;
      shared += (pieces[back] as string[]).length;
    }
    i = back;
  }
  return out;
}
