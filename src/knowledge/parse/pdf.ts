import { extractText, getDocumentProxy } from "unpdf";
import type { Section } from "../types.ts";
import { unreadable } from "./text.ts";

/** A PDF: one section per page, so that citations name the page. */
export async function parsePdf(bytes: Buffer, filename: string): Promise<Section[]> {
  let pages: string[];
  try {
    const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
    try {
      pages = (await extractText(pdf, { mergePages: false })).text;
    } finally {
      await pdf.loadingTask.destroy();
    }
  } catch (e) {
    const why =
      (e as Error).name === "PasswordException" ? "it is password-protected" : (e as Error).message;
    throw unreadable(filename, `not a readable PDF (${why})`);
  }
  if (pages.every((p) => !p.trim())) {
    throw unreadable(
      filename,
      "the PDF has no text layer (a scanned document?); run it through OCR and add it again",
    );
  }
  return pages.map((text, i) => ({ text, page: i + 1, heading: null }));
}
