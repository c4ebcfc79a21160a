import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import Busboy from "busboy";
import { isTailorError, TailorError } from "../../errors/index.ts";
import { FILE_PURPOSES, type FilePurpose, safeFilename } from "../../files/index.ts";
import { tempName, UPLOAD_TEMP_PREFIX } from "../../store/index.ts";
import { DEFAULT_LIMITS } from "../context.ts";

/** An upload's file, on disk in a temporary folder, and its form's `purpose`. */
export interface ReceivedUpload {
  path: string;
  /** The name the client gave, made safe to store and show (safeFilename). */
  filename: string;
  purpose: FilePurpose;
}

function badRequest(field: string, message: string): TailorError {
  return new TailorError({ code: "invalid_argument", message, details: { field } });
}

/**
 * Reads a multipart/form-data body with one `file` part and a `purpose` field, streaming the file to
 * a temporary folder (never whole in memory, refused past `maxBytes`, given up after `idleMs`
 * without a byte: a client that stalls with its connection open would otherwise hold one of the
 * server's upload places until the connection dies), and hands it to `use`; the folder is removed
 * afterwards.
 */
export async function withUpload<T>(
  body: Readable,
  contentType: string,
  maxBytes: number,
  use: (upload: ReceivedUpload) => Promise<T>,
  idleMs = DEFAULT_LIMITS.uploadIdleMs,
): Promise<T> {
  // named after this process: if it is killed mid-upload, the store's next opening removes it
  const dir = join(tmpdir(), tempName(UPLOAD_TEMP_PREFIX));
  mkdirSync(dir, { mode: 0o700 });
  try {
    const part = await receive(body, contentType, dir, maxBytes, idleMs);
    if (!part.purpose)
      throw badRequest("purpose", "the form needs a `purpose` field, e.g. purpose=fine-tune");
    const purpose = FILE_PURPOSES.find((p) => p === part.purpose);
    if (!purpose)
      throw badRequest(
        "purpose",
        `purpose must be one of ${FILE_PURPOSES.join(", ")}, got '${part.purpose}'`,
      );
    if (!part.path) throw badRequest("file", "the form needs a `file` part with the file's bytes");
    return await use({ path: part.path, filename: part.filename, purpose });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function receive(
  body: Readable,
  contentType: string,
  dir: string,
  maxBytes: number,
  idleMs = DEFAULT_LIMITS.uploadIdleMs,
): Promise<{ purpose: string | null; path: string | null; filename: string }> {
  if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
    throw badRequest(
      "file",
      "upload files as multipart/form-data with a `file` part and a `purpose` field",
    );
  }
  let bb: Busboy.Busboy;
  try {
    bb = Busboy({
      headers: { "content-type": contentType },
      limits: { files: 1, fileSize: maxBytes, fields: 20 },
      defParamCharset: "utf8", // browsers send a name's UTF-8 bytes as they are
    });
  } catch (e) {
    throw badRequest("file", `cannot read the form: ${(e as Error).message}`);
  }
  const out = {
    purpose: null as string | null,
    path: null as string | null,
    filename: "upload.jsonl",
  };
  const writes: Promise<void>[] = [];
  let tooLarge = false;
  bb.on("field", (name, value) => {
    if (name === "purpose") out.purpose = value;
  });
  bb.on("file", (name, stream, info) => {
    if (name !== "file" || out.path) {
      stream.resume();
      return;
    }
    out.filename = safeFilename(info.filename ?? "");
    out.path = join(dir, `upload${extname(out.filename).toLowerCase().slice(0, 10) || ".jsonl"}`);
    stream.on("limit", () => {
      tooLarge = true;
    });
    const write = pipeline(stream, createWriteStream(out.path));
    // a client that leaves mid-body fails this write too: awaited below, but caught here first, as
    // the body's own failure may end receive() before it (uncaught, it would stop the server)
    write.catch(() => {});
    writes.push(write);
  });
  const guard = idleGuard(idleMs);
  try {
    await pipeline(body, guard, bb);
    await Promise.all(writes);
  } catch (e) {
    if (isTailorError(e)) throw e;
    throw badRequest("file", `the upload could not be read: ${(e as Error).message}`);
  } finally {
    guard.destroy();
  }
  if (tooLarge) {
    throw new TailorError({
      code: "too_large",
      message: `the file is larger than the upload limit of ${Math.round(maxBytes / 1024 / 1024)} MB; split it, or raise --max-upload-mb`,
      details: { field: "file" },
    });
  }
  return out;
}

/** Passes the body through, failing it when no byte has come for `idleMs`. */
function idleGuard(idleMs: number): Transform {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      guard.destroy(
        badRequest(
          "file",
          `the upload stopped: no bytes came for ${Math.round(idleMs / 1000)} s; send the file again`,
        ),
      );
    }, idleMs);
  };
  const guard = new Transform({
    transform(chunk, _encoding, done) {
      arm();
      done(null, chunk);
    },
    flush(done) {
      clearTimeout(timer);
      done();
    },
    destroy(error, done) {
      clearTimeout(timer);
      done(error);
    },
  });
  arm();
  return guard;
}
