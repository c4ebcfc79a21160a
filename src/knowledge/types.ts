/** A piece of a document with where it came from: a page of a PDF, or the text under a heading. */
export interface Section {
  text: string;
  /** 1-based page number (PDF), or null. */
  page: number | null;
  /** The headings above this text, outermost first, joined with " › " (or null). */
  heading: string | null;
}

/** A passage cut from a section, the unit that is embedded, indexed and cited. */
export interface Chunk extends Section {
  /** Position in its file, from 0. */
  seq: number;
}

/** "page 3", "Leave › Annual leave", "page 3 · Leave", or "" when nothing is known. */
export function describeLocation(l: { page: number | null; heading: string | null }): string {
  const parts = [l.page === null ? null : `page ${l.page}`, l.heading].filter(Boolean);
  return parts.join(" · ");
}
