import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { FileStatus } from "../../protocol/index.ts";
import { checkData, type DataReport, type DatasetStore } from "../datasets/index.ts";
import { isTailorError, TailorError } from "../errors/index.ts";
import type { PiiType } from "../safety/index.ts";
import { BlobStore } from "../store/index.ts";
import type { SqlDb } from "../store/sql.ts";

export const FILE_PURPOSES = ["fine-tune", "assistants", "batch", "user_data"] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

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

/** What checking an uploaded fine-tune file gave: its dataset version, or the errors. */
interface Checked {
  datasetId: string | null;
  report: DataReport | null;
  error: string | null;
}

interface Row extends Omit<StoredFile, "report"> {
  report_json: string | null;
}

const fromRow = ({ report_json, ...r }: Row): StoredFile => ({
  ...r,
  report: report_json ? (JSON.parse(report_json) as DataReport) : null,
});

/**
 * Uploaded files (OpenAI's `file-…` objects). The bytes go to the blob store (the transport has
 * streamed them to disk, never whole in memory); a fine-tune file is then checked like
 * `tailor data add` and, when it passes, stored as a dataset version. A file with errors is still accepted, with its report: a job on it
 * fails in validation with the first errors.
 */
export class FileStore {
  private readonly blobs: BlobStore;

  /** Files are stored in `datasets`' home (its blob store) and checked into it as versions. */
  constructor(
    private readonly db: SqlDb,
    private readonly datasets: DatasetStore,
  ) {
    this.blobs = new BlobStore(datasets.home);
  }

  /**
   * Stores an uploaded file (received by the transport into `path`, which the caller removes
   * afterwards); a fine-tune file is checked, and stored as a dataset version when it passes.
   */
  async upload(
    file: { path: string; filename: string; purpose: FilePurpose },
    opts: { owner: string | null },
  ): Promise<StoredFile> {
    const blob = await this.blobs.putFile(file.path);
    const row = (checked: Checked | null): Row => ({
      id: `file-${randomBytes(12).toString("hex")}`,
      purpose: file.purpose,
      filename: file.filename,
      bytes: blob.size,
      created_at: Math.floor(Date.now() / 1000),
      owner: opts.owner,
      sha256: blob.sha256,
      status: checked?.error ? "error" : "processed",
      status_details: checked?.error ?? null,
      dataset_id: checked?.datasetId ?? null,
      report_json: checked?.report ? JSON.stringify(checked.report) : null,
    });
    if (file.purpose !== "fine-tune") {
      const r = row(null);
      this.insert(r);
      return fromRow(r);
    }
    // the file's row is written in the dataset version's transaction: a crash stores both or neither
    let stored: Row | null = null;
    const checked = await this.check(file.path, file.filename, (c) => {
      stored = row(c);
      this.insert(stored);
    });
    if (stored) return fromRow(stored);
    const r = row(checked); // errors: no dataset version, the file is kept with its report
    this.insert(r);
    return fromRow(r);
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
        "SELECT * FROM files WHERE sha256 = ? AND filename = ? AND purpose = ? AND owner IS NOT DISTINCT FROM ? ORDER BY created_at LIMIT 1",
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

  /**
   * Checks examples; their errors are named by the uploaded file's name, not the temporary path. A
   * file without errors is stored as a dataset version, and `record` is called inside the
   * transaction that stores it.
   */
  private async check(
    path: string,
    filename: string,
    record: (checked: Checked) => void,
  ): Promise<Checked> {
    const datasets = this.datasets;
    const rename = (s: string) => s.split(path).join(filename);
    const name = filename.replace(/\.[^.]+$/, "");
    try {
      const { version } = await datasets.add(path, {
        name,
        onStored: (v) => record({ datasetId: v.id, report: v.report, error: null }),
      });
      return { datasetId: version.id, report: version.report, error: null };
    } catch (e) {
      if (!isTailorError(e) || (e.code !== "data_invalid" && e.code !== "invalid_argument"))
        throw e;
      const report = (e.details.report as DataReport | undefined) ?? null;
      if (report?.errors.length && report.errors.every((x) => x.code === "too_few_examples")) {
        // too few to train on, and fine as validation data: stored; a job training on it is refused
        const renamed = JSON.parse(rename(JSON.stringify(report))) as DataReport;
        const { version } = await datasets.add(path, {
          name,
          purpose: "validation",
          onStored: (v) => record({ datasetId: v.id, report: renamed, error: null }),
        });
        return { datasetId: version.id, report: renamed, error: null };
      }
      return {
        datasetId: null,
        report: report ? (JSON.parse(rename(JSON.stringify(report))) as DataReport) : null,
        error: rename(e.message),
      };
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
    const datasets = this.datasets;
    const stem = file.filename.replace(/\.[^.]+$/, "");
    const { version } = await datasets.add(file.dataset_id, {
      redact: true,
      name: `${stem}-redacted`,
    });
    const path = datasets.files(version.id).train;
    const filename = `${stem}.redacted.jsonl`;
    const report = JSON.parse(
      JSON.stringify(await checkData(path, { names: datasets.names }))
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
          `SELECT * FROM files
           WHERE (@all = 1 OR owner IS NOT DISTINCT FROM CAST(@owner AS TEXT))
             AND (CAST(@purpose AS TEXT) IS NULL OR purpose = @purpose)
             AND (CAST(@after_created AS BIGINT) IS NULL OR created_at < @after_created
                  OR (created_at = @after_created AND id < @after_id))
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
