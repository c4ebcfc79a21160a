/**
 * The name an uploaded file is stored and shown under, from whatever the client sent. The name is
 * never a path on this machine (the bytes go to the blob store under their sha256), but it is
 * shown in lists, reports and the studio, and a client may send anything: `../../etc/passwd`,
 * `C:\data\x.csv`, NUL and other control characters, right-to-left overrides, thousands of
 * characters. It is made safe rather than refused (OpenAI's API takes any name): its last path
 * segment, NFC, without control or invisible formatting characters, without leading dots, at most
 * MAX_FILENAME characters with its extension kept (the extension says how the examples are read).
 */

export const MAX_FILENAME = 200;
/** Extensions longer than this are treated as part of the name. */
const MAX_EXTENSION = 10;

/** Half of a surrogate pair without its other half: not text, and not encodable as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `raw` made safe to store and show; `fallback` when nothing is left of it. */
export function safeFilename(raw: string, fallback = "upload.jsonl"): string {
  const last = raw.replace(LONE_SURROGATE, "\ufffd").normalize("NFC").split(/[\\/]/).at(-1) ?? "";
  const clean = last
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, "") // NUL, newlines, bidi overrides, zero-width
    .replace(/\s+/gu, " ")
    .replace(/^[\s.]+|[\s.]+$/gu, ""); // `.`, `..`, hidden-file dots, Windows' trailing dots
  if (!clean) return fallback;
  const chars = [...clean]; // code points: a cut never splits a surrogate pair
  if (chars.length <= MAX_FILENAME) return clean;
  const dot = clean.lastIndexOf(".");
  const ext = dot > 0 && clean.length - dot <= MAX_EXTENSION + 1 ? clean.slice(dot) : "";
  const stem = [...clean.slice(0, clean.length - ext.length)]
    .slice(0, MAX_FILENAME - ext.length)
    .join("")
    .replace(/[\s.]+$/u, "");
  return `${stem}${ext}`;
}
