import { TailorError } from "../../errors/index.ts";
import type { Section } from "../types.ts";

/** UTF-8 (with or without BOM) to a string; binary files and invalid UTF-8 are named as such. */
export function decodeText(bytes: Buffer, filename: string): string {
  if (bytes.subarray(0, 8000).includes(0)) {
    throw unreadable(filename, "it looks like a binary file, not text");
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw unreadable(filename, "it is not valid UTF-8 text; save it as UTF-8 and add it again");
  }
}

export function unreadable(filename: string, why: string): TailorError {
  return new TailorError({
    code: "data_invalid",
    message: `${filename}: ${why}`,
    details: { file: filename },
  });
}

/** Plain text: one section per form-feed-separated page (most text files have one). */
export function parsePlainText(text: string): Section[] {
  const pages = text.split("\f");
  return pages.map((t, i) => ({ text: t, page: pages.length > 1 ? i + 1 : null, heading: null }));
}

const HEADING = /^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$/;
const FENCE = /^ {0,3}(```|~~~)/;

/** Markdown: a section per heading (ATX `#` headings outside code fences), with the heading path. */
export function parseMarkdown(text: string): Section[] {
  const sections: Section[] = [];
  const path: string[] = [];
  let lines: string[] = [];
  let inFence = false;
  const flush = () => {
    sections.push({ text: lines.join("\n"), page: null, heading: path.join(" › ") || null });
    lines = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (FENCE.test(line)) inFence = !inFence;
    const m = inFence ? null : HEADING.exec(line);
    if (m?.[1] && m[2]) {
      flush();
      path.length = Math.min(path.length, m[1].length - 1);
      while (path.length < m[1].length - 1) path.push("");
      path.push(m[2].trim());
      // a skipped level (# then ###) leaves an empty slot: drop it from the path
      for (let i = path.length - 1; i >= 0; i--) if (path[i] === "") path.splice(i, 1);
      continue;
    }
    lines.push(line);
  }
  flush();
  return sections;
}
