import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Busboy from "busboy";
import type { FileStatus } from "../../protocol/index.ts";
import { checkData, type DataReport, DatasetStore } from "../datasets/index.ts";
import { isTailorError, TailorError } from "../errors/index.ts";
import type { PiiType } from "../safety/index.ts";
import { BlobStore, type Db, openDb } from "../store/index.ts";

export const DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
export const FILE_PURPOSES = ["fine-tune", "assistants", "batch", "user_data"] as const;

export interface StoredFile {
  id: string;
  purpose: string;
  filename: string;
  bytes: number;
  created_at: number;
  owner: string | null;
  sha256: string;
  status: FileStatus;
  status_details: string | null;
  dataset_id: string | null;
  report: DataReport | null;
}

interface Row extends Omit<StoredFile, "report"> {
  report_json: string | null;
}

const fromRow = ({ report_json, ...r }: Row): StoredFile => ({
  ...r,
  report: report_json ? (JSON.parse(report_json) as DataReport) : null,
});

/**
 * Uploaded files (OpenAI's `file-…` objects). The bytes go to the blob store as they arrive (never
 * whole in memory); a fine-tune file is then checked like `tailor data add` and, when it passes,
 * stored as a dataset version. A file with errors is still accepted, with its report: a job on it
 * fails in validation with the first errors.
 */
export class FileStore {
  private readonly db: Db;
  private readonly blobs: BlobStore;

  constructor(readonly home: string) {
    this.db = openDb(home);
    this.blobs = new BlobStore(home);
  }

  close(): void {
    this.db.close();
  }

  /** Reads a multipart/form-data body with one `file` part and a `purpose` field. */
  async upload(
    body: Readable,
    contentType: string,
    opts: { owner: string | null; maxBytes?: number },
  ): Promise<StoredFile> {
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    const tmp = mkdtempSync(join(tmpdir(), "tailor-upload-"));
    try {
      const part = await receive(body, contentType, tmp, maxBytes);
      if (!part.purpose)
        throw badRequest("purpose", "the form needs a `purpose` field, e.g. purpose=fine-tune");
      if (!(FILE_PURPOSES as readonly string[]).includes(part.purpose))
        throw badRequest(
          "purpose",
          `purpose must be one of ${FILE_PURPOSES.join(", ")}, got '${part.purpose}'`,
        );
      if (!part.path)
        throw badRequest("file", "the form needs a `file` part with the file's bytes");
      const blob = await this.blobs.putFile(part.path);
      const checked =
        part.purpose === "fine-tune" ? await this.check(part.path, part.filename) : null;
      const row: Row = {
        id: `file-${randomBytes(12).toString("hex")}`,
        purpose: part.purpose,
        filename: part.filename,
        bytes: part.bytes,
        created_at: Math.floor(Date.now() / 1000),
        owner: opts.owner,
        sha256: blob.sha256,
        status: checked?.error ? "error" : "processed",
        status_details: checked?.error ?? null,
        dataset_id: checked?.datasetId ?? null,
        report_json: checked?.report ? JSON.stringify(checked.report) : null,
      };
      this.insert(row);
      return fromRow(row);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Stores a local file as an upload (the CLI's `kb add`): documents with purpose `assistants`. The
   * same bytes under the same name and owner give back the file already stored.
   */
  async addLocal(
    path: string,
    opts: { purpose: "assistants" | "user_data"; owner: string | null; filename: string },
  ): Promise<StoredFile> {
    const blob = await this.blobs.putFile(path);
    const same = this.db
      .prepare(
        "SELECT * FROM files WHERE sha256 = ? AND filename = ? AND purpose = ? AND owner IS ? ORDER BY created_at LIMIT 1",
      )
      .get(blob.sha256, opts.filename, opts.purpose, opts.owner) as Row | undefined;
    if (same) return fromRow(same);
    const row: Row = {
      id: `file-${randomBytes(12).toString("hex")}`,
      purpose: opts.purpose,
      filename: opts.filename,
      bytes: blob.size,
      created_at: Math.floor(Date.now() / 1000),
      owner: opts.owner,
      sha256: blob.sha256,
      status: "processed",
      status_details: null,
      dataset_id: null,
      report_json: null,
    };
    this.insert(row);
    return fromRow(row);
  }

  /** Checks examples; their errors are named by the uploaded file's name, not the temporary path. */
  private async check(
    path: string,
    filename: string,
  ): Promise<{ datasetId: string | null; report: DataReport | null; error: string | null }> {
    const datasets = new DatasetStore(this.home);
    const rename = (s: string) => s.split(path).join(filename);
    try {
      const { version } = await datasets.add(path, { name: filename.replace(/\.[^.]+$/, "") });
      return { datasetId: version.id, report: version.report, error: null };
    } catch (e) {
      if (!isTailorError(e) || (e.code !== "data_invalid" && e.code !== "invalid_argument"))
        throw e;
      const report = (e.details.report as DataReport | undefined) ?? null;
      if (report?.errors.length && report.errors.every((x) => x.code === "too_few_examples")) {
        // too few to train on, and fine as validation data: stored; a job training on it is refused
        const { version } = await datasets.add(path, {
          name: filename.replace(/\.[^.]+$/, ""),
          purpose: "validation",
        });
        return {
          datasetId: version.id,
          report: JSON.parse(rename(JSON.stringify(report))),
          error: null,
        };
      }
      return {
        datasetId: null,
        report: report ? (JSON.parse(rename(JSON.stringify(report))) as DataReport) : null,
        error: rename(e.message),
      };
    } finally {
      datasets.close();
    }
  }

  /**
   * A new fine-tune file holding `file`'s examples with their personal data replaced by typed
   * placeholders (`[EMAIL]`, `[PHONE]`, …), checked again; `file` itself is left as it is.
   */
  async redact(
    file: StoredFile,
  ): Promise<{ file: StoredFile; replaced: Partial<Record<PiiType, number>> }> {
    if (!file.dataset_id)
      throw new TailorError({
        code: "data_invalid",
        message: `${file.filename} has errors; fix them and upload it again before redacting it`,
        details: { field: "file_id" },
      });
    const datasets = new DatasetStore(this.home);
    try {
      const stem = file.filename.replace(/\.[^.]+$/, "");
      const { version } = await datasets.add(file.dataset_id, {
        redact: true,
        name: `${stem}-redacted`,
      });
      const path = datasets.files(version.id).train;
      const filename = `${stem}.redacted.jsonl`;
      const report = JSON.parse(
        JSON.stringify(await checkData(path))
          .split(path)
          .join(filename),
      ) as DataReport;
      const row: Row = {
        id: `file-${randomBytes(12).toString("hex")}`,
        purpose: "fine-tune",
        filename,
        bytes: statSync(path).size,
        created_at: Math.floor(Date.now() / 1000),
        owner: file.owner,
        sha256: version.train_sha256,
        status: "processed",
        status_details: null,
        dataset_id: version.id,
        report_json: JSON.stringify(report),
      };
      this.insert(row);
      return { file: fromRow(row), replaced: version.redaction ?? {} };
    } finally {
      datasets.close();
    }
  }

  private insert(row: Row): void {
    this.db
      .prepare(
        `INSERT INTO files (id, purpose, filename, bytes, created_at, owner, sha256, status, status_details, dataset_id, report_json)
         VALUES (@id, @purpose, @filename, @bytes, @created_at, @owner, @sha256, @status, @status_details, @dataset_id, @report_json)`,
      )
      .run(row);
  }

  find(id: string, owner?: string | null): StoredFile | null {
    const row = this.db.prepare("SELECT * FROM files WHERE id = ?").get(id) as Row | undefined;
    if (!row || (owner !== undefined && row.owner !== owner)) return null;
    return fromRow(row);
  }

  /** `owner` undefined: everyone's (admin); otherwise only that owner's. */
  get(id: string, owner?: string | null): StoredFile {
    const f = this.find(id, owner);
    if (!f)
      throw new TailorError({
        code: "not_found",
        message: `no file ${id}`,
        details: { field: "file_id" },
      });
    return f;
  }

  list(opts: {
    owner?: string | null;
    after?: string;
    limit: number;
    purpose?: string;
  }): StoredFile[] {
    const after = opts.after ? this.get(opts.after, opts.owner) : null;
    return (
      this.db
        .prepare(
          `SELECT * FROM files WHERE (@all = 1 OR owner IS @owner) AND (@purpose IS NULL OR purpose = @purpose)
             AND (@after_created IS NULL OR created_at < @after_created OR (created_at = @after_created AND id < @after_id))
           ORDER BY created_at DESC, id DESC LIMIT @limit`,
        )
        .all({
          all: opts.owner === undefined ? 1 : 0,
          owner: opts.owner ?? null,
          purpose: opts.purpose ?? null,
          after_created: after?.created_at ?? null,
          after_id: after?.id ?? null,
          limit: opts.limit,
        }) as Row[]
    ).map(fromRow);
  }

  content(file: StoredFile): Buffer {
    return readFileSync(this.blobs.path(file.sha256));
  }

  /** Deletes the file and its bytes unless another file or a dataset version has the same content. */
  delete(file: StoredFile): void {
    this.db.prepare("DELETE FROM files WHERE id = ?").run(file.id);
    const others = this.db
      .prepare(
        `SELECT 1 FROM files WHERE sha256 = @h
         UNION ALL SELECT 1 FROM datasets WHERE train_sha256 = @h OR val_sha256 = @h LIMIT 1`,
      )
      .get({ h: file.sha256 });
    if (!others) this.blobs.delete(file.sha256);
  }
}

function badRequest(field: string, message: string): TailorError {
  return new TailorError({ code: "invalid_argument", message, details: { field } });
}

async function receive(
  body: Readable,
  contentType: string,
  dir: string,
  maxBytes: number,
): Promise<{ purpose: string | null; path: string | null; filename: string; bytes: number }> {
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
    });
  } catch (e) {
    throw badRequest("file", `cannot read the form: ${(e as Error).message}`);
  }
  const out = {
    purpose: null as string | null,
    path: null as string | null,
    filename: "upload.jsonl",
    bytes: 0,
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
    out.filename = (info.filename || "upload.jsonl").replace(/[\\/]/g, "_").slice(0, 200);
    out.path = join(dir, `upload${extname(out.filename).toLowerCase().slice(0, 10) || ".jsonl"}`);
    const hash = createHash("sha256");
    stream.on("data", (chunk: Buffer) => {
      out.bytes += chunk.length;
      hash.update(chunk);
    });
    stream.on("limit", () => {
      tooLarge = true;
    });
    writes.push(pipeline(stream, createWriteStream(out.path)));
  });
  try {
    await pipeline(body, bb);
    await Promise.all(writes);
  } catch (e) {
    if (isTailorError(e)) throw e;
    throw badRequest("file", `the upload could not be read: ${(e as Error).message}`);
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
