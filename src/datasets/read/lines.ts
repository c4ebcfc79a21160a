import { createReadStream } from "node:fs";

export interface RawLine {
  /** 1-based line number. */
  line: number;
  /** The line's text, without its line end; null when it could not be read (see `problem`). */
  text: string | null;
  problem?: string;
}

/** Lines longer than this are reported, not read: a 1 GB line costs no more memory than a short one. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

const decoder = new TextDecoder("utf-8", { fatal: true });

function decode(bytes: Buffer, line: number): RawLine {
  try {
    let text = decoder.decode(bytes);
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith("\r")) text = text.slice(0, -1);
    return { line, text };
  } catch {
    const bad = firstInvalidUtf8(bytes);
    return {
      line,
      text: null,
      problem: `is not valid UTF-8 (near byte ${bad} of the line); save the file as UTF-8`,
    };
  }
}

function firstInvalidUtf8(bytes: Buffer): number {
  for (let end = 1; end <= bytes.length; end++) {
    try {
      decoder.decode(bytes.subarray(0, end), { stream: true });
    } catch {
      return end;
    }
  }
  return bytes.length;
}

/**
 * Streams a file's lines in constant memory (bounded by MAX_LINE_BYTES), checking UTF-8 line by line.
 * LF and CRLF both end a line; a UTF-8 BOM is dropped.
 */
export async function* readLines(
  file: string,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<RawLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let line = 1;
  for await (const chunk of createReadStream(file, {
    highWaterMark: 1 << 16,
  }) as AsyncIterable<Buffer>) {
    let start = 0;
    let nl = chunk.indexOf(10, start);
    while (nl >= 0) {
      const piece = chunk.subarray(start, nl);
      if (tooLong || size + piece.length > maxLineBytes) {
        yield { line, text: null, problem: tooLongMessage(maxLineBytes) };
      } else {
        yield decode(parts.length ? Buffer.concat([...parts, piece]) : piece, line);
      }
      parts = [];
      size = 0;
      tooLong = false;
      line++;
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    const rest = chunk.subarray(start);
    if (!tooLong && size + rest.length > maxLineBytes) {
      tooLong = true;
      parts = [];
    }
    if (!tooLong && rest.length) {
      parts.push(Buffer.from(rest));
      size += rest.length;
    }
  }
  if (tooLong) yield { line, text: null, problem: tooLongMessage(maxLineBytes) };
  else if (size > 0) yield decode(Buffer.concat(parts), line);
}

function tooLongMessage(max: number): string {
  return `is longer than ${Math.round(max / 1024 / 1024)} MB; one example per line is expected (is this the right file?)`;
}
