import mammoth from "mammoth";
import type { Section } from "../types.ts";
import { parseHtml } from "./html.ts";
import { unreadable } from "./text.ts";

/** A Word document: converted to HTML by mammoth, so that its headings become sections. */
export async function parseDocx(bytes: Buffer, filename: string): Promise<Section[]> {
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: bytes })).value;
  } catch (e) {
    throw unreadable(filename, `not a readable DOCX file (${(e as Error).message})`);
  }
  return parseHtml(html);
}
