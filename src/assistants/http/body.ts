/**
 * A response body read as a stream up to a cap (never buffered past it), and told to the model as
 * text: UTF-8, cut on a character boundary, JSON kept as its text; a body that is not text (an
 * image, a PDF) is described instead of decoded into noise.
 */
import type { IncomingMessage } from "node:http";
import { StringDecoder } from "node:string_decoder";

export interface CappedBody {
  bytes: Buffer;
  /** The body was longer than the cap: `bytes` is its first `cap` bytes. */
  cut: boolean;
}

/** Reads at most `cap` bytes of the response, then stops it (the rest is never downloaded). */
export function readCapped(res: IncomingMessage, cap: number): Promise<CappedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (cut: boolean) => {
      if (done) return;
      done = true;
      resolve({ bytes: Buffer.concat(chunks, Math.min(size, cap)), cut });
    };
    res.on("data", (chunk: Buffer) => {
      if (done) return;
      const room = cap - size;
      if (chunk.length > room) {
        if (room > 0) chunks.push(chunk.subarray(0, room));
        size = cap;
        finish(true);
        res.destroy();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    res.on("end", () => finish(false));
    res.on("error", (e) => {
      if (!done) {
        done = true;
        reject(e);
      }
    });
    res.on("close", () => {
      // Closed before its end without an error event: the peer hung up mid-body.
      if (!done && !res.complete) {
        done = true;
        reject(
          Object.assign(new Error("the connection closed before the response ended"), {
            code: "ECONNRESET",
          }),
        );
      }
    });
  });
}

const TEXT_TYPES =
  /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded|x-ndjson|yaml|graphql)\b)/i;

/** Is a body of this content type text (or untyped, which is read as text)? */
export function isTextual(contentType: string | undefined): boolean {
  const type = (contentType ?? "").trim();
  return type === "" || TEXT_TYPES.test(type);
}

/** UTF-8 text of the bytes, without a trailing character the cut split in two. */
export function decodeText(bytes: Buffer): string {
  // StringDecoder.write holds back an incomplete last character; end() is never called.
  return new StringDecoder("utf8").write(bytes);
}

/** What the model is told of a body: its text, or what it is when it is not text. */
export function bodyText(body: CappedBody, contentType: string | undefined): string {
  if (!isTextual(contentType)) {
    const size = body.cut ? `more than ${body.bytes.length} bytes` : `${body.bytes.length} bytes`;
    return `[the function answered ${contentType?.split(";")[0]?.trim()} content (${size}), which is not text]`;
  }
  const text = decodeText(body.bytes);
  return body.cut ? `${text}\n[cut at ${body.bytes.length} bytes]` : text;
}
