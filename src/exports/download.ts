/**
 * A finished export as one download: a GGUF export's model file itself when it is the only GGUF
 * (a base model's), else a .tar.gz of the whole folder (the files under one folder named after
 * the model), streamed as it is made; or one file of the export by name.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { create as tar } from "tar";
import { TailorError } from "../errors/index.ts";
import type { ExportRecord } from "./store.ts";
import { fileStem } from "./write.ts";

export interface ExportDownload {
  /** The file name to save it under. */
  name: string;
  contentType: string;
  /** Known for a single file; null for an archive made as it streams. */
  bytes: number | null;
  stream: ReadableStream<Uint8Array>;
}

const webStream = (s: Readable) => Readable.toWeb(s) as ReadableStream<Uint8Array>;

/** The download of a succeeded export (`file`: one of its files, by its name in the export). */
export function exportDownload(record: ExportRecord, file?: string): ExportDownload {
  if (record.status !== "succeeded") {
    throw new TailorError({
      code: "conflict",
      message:
        record.status === "running"
          ? `export ${record.id} is still running; download it once its status is succeeded`
          : `export ${record.id} failed (${record.error ?? "no reason recorded"}), so it has nothing to download; start a new export`,
    });
  }
  if (!existsSync(record.path)) {
    throw new TailorError({
      code: "not_found",
      message: `the files of export ${record.id} are no longer on the server (${record.path}); start a new export`,
    });
  }
  const ggufs = record.files.filter((f) => f.name.endsWith(".gguf"));
  const single =
    file ?? (record.format === "gguf" && ggufs.length === 1 ? ggufs[0]?.name : undefined);
  if (single !== undefined) return oneFile(record, single);
  const folder = `${fileStem(record.model)}-${record.format}${record.quantization ? `-${record.quantization}` : ""}`;
  const out = new PassThrough();
  const pack = tar(
    { gzip: true, cwd: record.path, portable: true, prefix: folder },
    record.files.map((f) => f.name),
  );
  pack.on("error", (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))));
  pack.pipe(out);
  return {
    name: `${folder}.tar.gz`,
    contentType: "application/gzip",
    bytes: null,
    stream: webStream(out),
  };
}

function oneFile(record: ExportRecord, name: string): ExportDownload {
  const known = record.files.find((f) => f.name === name);
  const path = join(record.path, name);
  if (!known || !existsSync(path)) {
    throw new TailorError({
      code: "not_found",
      message: `export ${record.id} has no file '${name}'; its files: ${record.files.map((f) => f.name).join(", ")}`,
      details: { field: "file" },
    });
  }
  return {
    name: name.split("/").at(-1) ?? name,
    contentType: "application/octet-stream",
    bytes: statSync(path).size,
    stream: webStream(createReadStream(path)),
  };
}
