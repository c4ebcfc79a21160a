import { extname } from "node:path";
import type { Section } from "../types.ts";
import { parseDocx } from "./docx.ts";
import { parseHtml } from "./html.ts";
import { parsePdf } from "./pdf.ts";
import { decodeText, parseMarkdown, parsePlainText, unreadable } from "./text.ts";

export const DOCUMENT_FORMATS = ["text", "markdown", "html", "pdf", "docx"] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

const BY_EXTENSION: Record<string, DocumentFormat> = {
  ".txt": "text",
  ".text": "text",
  ".log": "text",
  ".csv": "text",
  ".json": "text",
  ".md": "markdown",
  ".markdown": "markdown",
  ".mdx": "markdown",
  ".html": "html",
  ".htm": "html",
  ".xhtml": "html",
  ".pdf": "pdf",
  ".docx": "docx",
};

/** The format of a file, by its first bytes and then its name; null when Tailor cannot read it. */
export function detectFormat(filename: string, bytes: Buffer): DocumentFormat | null {
  if (bytes.subarray(0, 5).toString("latin1") === "%PDF-") return "pdf";
  const ext = extname(filename).toLowerCase();
  return BY_EXTENSION[ext] ?? (ext === "" ? "text" : null);
}

/**
 * A document's text, cut into sections that keep where they came from (page or heading). Throws a
 * TailorError (data_invalid) naming the file and the reason when it cannot be read.
 */
export async function parseDocument(bytes: Buffer, filename: string): Promise<Section[]> {
  const format = detectFormat(filename, bytes);
  let sections: Section[];
  switch (format) {
    case "pdf":
      sections = await parsePdf(bytes, filename);
      break;
    case "docx":
      sections = await parseDocx(bytes, filename);
      break;
    case "html":
      sections = parseHtml(decodeText(bytes, filename));
      break;
    case "markdown":
      sections = parseMarkdown(decodeText(bytes, filename));
      break;
    case "text":
      sections = parsePlainText(decodeText(bytes, filename));
      break;
    default: {
      const e = unreadable(
        filename,
        `Tailor cannot read ${extname(filename) || "this kind of"} files; it reads .txt, .md, .html, .pdf and .docx`,
      );
      e.details.unsupported = true;
      throw e;
    }
  }
  const kept = sections.filter((s) => s.text.trim());
  if (!kept.length) throw unreadable(filename, "it has no text");
  return kept;
}
