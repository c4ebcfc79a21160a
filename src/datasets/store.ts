import { createHash } from "node:crypto";
import { once } from "node:events";
import {
  createWriteStream,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  type WriteStream,
} from "node:fs";
import { basename, join } from "node:path";
import { TailorError } from "../errors/index.ts";
import type { NameFinder, PiiType } from "../safety/index.ts";
import { BlobStore, pauseForTest, tempDir, tempName } from "../store/index.ts";
import type { SqlDb } from "../store/sql.ts";
import { type CheckOptions, checkData } from "./check.ts";
import type { Example } from "./read/index.ts";
import { redactExample } from "./redact.ts";
import type { DataReport } from "./report.ts";

export const DATASET_ID = /^ds-[0-9a-f]{16}$/;

export interface DatasetVersion {
  id: string;
  name: string;
  created_at: number;
  source_file: string;
  train_examples: number;
  val_examples: number;
  train_sha256: string;
  val_sha256: string | null;
  redacted: boolean;
  redaction: Partial<Record<PiiType, number>> | null;
  report: DataReport;
}

interface Row {
  id: string;
  name: string;
  created_at: number;
  source_file: string;
  train_sha256: string;
  train_examples: number;
  val_sha256: string | null;
  val_examples: number;
  redacted: number;
  redaction_json: string | null;
  report_json: string;
}

export interface AddOptions extends Omit<CheckOptions, "onExample"> {
  name?: string | undefined;
  redact?: boolean;
  /** Fraction of examples held out for validation when no --val file is given (0 = none). */
  valSplit?: number;
  /**
   * Called with the stored version (new or already there) inside the transaction that stores it,
   * so that what the caller records with it (an upload's file row) is stored with it or not at all.
   */
  onStored?: (version: DatasetVersion) => void;
}

function fromRow(r: Row): DatasetVersion {
  return {
    id: r.id,
    name: r.name,
    created_at: r.created_at,
    source_file: r.source_file,
    train_examples: r.train_examples,
    val_examples: r.val_examples,
    train_sha256: r.train_sha256,
    val_sha256: r.val_sha256,
    redacted: r.redacted === 1,
    redaction: r.redaction_json
      ? (JSON.parse(r.redaction_json) as Partial<Record<PiiType, number>>)
      : null,
    report: JSON.parse(r.report_json) as DataReport,
  };
}

/** Whether an example goes to validation: decided by its content, so re-adding splits the same way. */
function inValidation(example: Example, fraction: number): boolean {
  if (fraction <= 0) return false;
  const h = createHash("sha256").update(JSON.stringify(example.messages)).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000 < fraction;
}

/**
 * Immutable, content-addressed dataset versions: examples normalised to chat JSONL in the blob
 * store, metadata and the quality report in SQLite.
 */
export class DatasetStore {
  private readonly blobs: BlobStore;

  /**
   * @param names where people's names in the examples come from, unless `add` is given its own
   * (the engine's in the CLI and the server; without one, no names are looked for).
   */
  constructor(
    private readonly db: SqlDb,
    readonly home: string,
    readonly names: NameFinder | null = null,
  ) {
    this.blobs = new BlobStore(home);
  }

  /**
   * Checks a file and, when it has no errors, stores it as a new version. Errors store nothing.
   * `file` may also be a stored version's id: with `redact`, that makes its redacted version.
   */
  async add(
    source: string,
    addOpts: AddOptions = {},
  ): Promise<{ version: DatasetVersion; created: boolean }> {
    let file = source;
    let opts: AddOptions = {
      ...addOpts,
      names: addOpts.names !== undefined ? addOpts.names : this.names,
    };
    if (DATASET_ID.test(source)) {
      const parent = this.get(source);
      const files = this.files(source);
      file = files.train;
      opts = {
        ...opts,
        name: addOpts.name ?? parent.name,
        ...(files.val && !addOpts.val ? { val: files.val, valSplit: 0 } : {}),
      };
    }
    // in the home, named after this process: if it is killed, the next start removes the folder
    const tmp = join(tempDir(this.home), tempName("add"));
    mkdirSync(tmp);
    // opened synchronously, so that an early failure cannot race an asynchronous open
    const open = (name: string) => createWriteStream("", { fd: openSync(join(tmp, name), "w") });
    const streams = { train: open("train.jsonl"), val: open("val.jsonl") };
    const counts = { train: 0, val: 0 };
    const redaction: Partial<Record<PiiType, number>> = {};
    const write = async (s: WriteStream, line: string) => {
      if (!s.write(line)) await once(s, "drain");
    };
    try {
      const report = await checkData(file, {
        ...opts,
        onExample: async (example, _line, split) => {
          let e = example;
          if (opts.redact) {
            const r = await redactExample(e, opts.names ?? null);
            e = r.example;
            for (const [type, n] of Object.entries(r.replaced))
              redaction[type as PiiType] = (redaction[type as PiiType] ?? 0) + (n ?? 0);
          }
          const target =
            split === "val" || inValidation(e, opts.val ? 0 : (opts.valSplit ?? 0))
              ? "val"
              : "train";
          counts[target]++;
          // the whole conversation: the engine reads each line's tools with its messages
          await write(streams[target], `${JSON.stringify(e)}\n`);
        },
      });
      for (const s of Object.values(streams)) s.end();
      await Promise.all([once(streams.train, "close"), once(streams.val, "close")]);
      if (!report.ok) {
        const first = report.errors
          .slice(0, 3)
          .map((e) => `\n  ${e.file ?? file}${e.line ? `:${e.line}` : ""}: ${e.message}`)
          .join("");
        const more = report.errors.length > 3 ? `\n  … and ${report.errors.length - 3} more.` : "";
        throw new TailorError({
          code: "data_invalid",
          message: `${file} has ${report.errors.length} error(s); nothing was stored:${first}${more}\nRun \`tailor data check ${file}\` for the full report.`,
          details: { file, report },
        });
      }
      if (counts.train === 0)
        throw new TailorError({
          code: "data_invalid",
          message: "no examples left for training after the validation split; lower --val-split",
        });
      const train = await this.blobs.putFile(join(tmp, "train.jsonl"));
      const val = counts.val ? await this.blobs.putFile(join(tmp, "val.jsonl")) : null;
      const id = `ds-${createHash("sha256")
        .update(`${train.sha256}:${val?.sha256 ?? ""}`)
        .digest("hex")
        .slice(0, 16)}`;
      const row: Row = {
        id,
        name: opts.name ?? basename(source).replace(/\.[^.]+$/, ""),
        created_at: Math.floor(Date.now() / 1000),
        source_file: source,
        train_sha256: train.sha256,
        train_examples: counts.train,
        val_sha256: val?.sha256 ?? null,
        val_examples: counts.val,
        redacted: opts.redact ? 1 : 0,
        redaction_json: opts.redact ? JSON.stringify(redaction) : null,
        report_json: JSON.stringify(report),
      };
      const insert = this.db.prepare(
        `INSERT INTO datasets (id, name, created_at, source_file, train_sha256, train_examples, val_sha256, val_examples, redacted, redaction_json, report_json)
         VALUES (@id, @name, @created_at, @source_file, @train_sha256, @train_examples, @val_sha256, @val_examples, @redacted, @redaction_json, @report_json)
         ON CONFLICT (id) DO NOTHING`,
      );
      return this.db.transaction(() => {
        // the same content stored before (maybe by another process a moment ago): that row stands
        const created = insert.run(row).changes === 1;
        const version = created ? fromRow(row) : this.get(id);
        pauseForTest("dataset-stored");
        opts.onStored?.(version);
        return { version, created };
      })();
    } finally {
      for (const s of Object.values(streams)) s.destroy();
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  list(): DatasetVersion[] {
    return (this.db.prepare("SELECT * FROM datasets ORDER BY created_at, id").all() as Row[]).map(
      fromRow,
    );
  }

  find(id: string): DatasetVersion | null {
    const row = this.db.prepare("SELECT * FROM datasets WHERE id = ?").get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  get(id: string): DatasetVersion {
    const v = this.find(id);
    if (!v) {
      throw new TailorError({
        code: "file_not_found",
        message: `no dataset ${id}; \`tailor data list\` shows the stored ones`,
      });
    }
    return v;
  }

  /** Paths of the stored (normalised chat JSONL) files of a version. */
  files(id: string): { train: string; val: string | null } {
    const v = this.get(id);
    return {
      train: this.blobs.path(v.train_sha256),
      val: v.val_sha256 ? this.blobs.path(v.val_sha256) : null,
    };
  }

  cat(id: string, split: "train" | "val" = "train"): string {
    const f = this.files(id)[split];
    return f ? readFileSync(f, "utf8") : "";
  }

  /** Deletes the version and every stored byte no other version shares (the right to erasure). */
  remove(id: string): { deletedBlobs: number } {
    const v = this.get(id);
    const hashes = [v.train_sha256, v.val_sha256].filter((h): h is string => h !== null);
    const stillUsed = this.db.prepare(
      "SELECT COUNT(*) AS n FROM datasets WHERE id != ? AND (train_sha256 = ? OR val_sha256 = ?)",
    );
    let deletedBlobs = 0;
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM datasets WHERE id = ?").run(id);
    })();
    for (const h of hashes) {
      if ((stillUsed.get(id, h, h) as { n: number }).n === 0 && this.blobs.has(h)) {
        this.blobs.delete(h);
        deletedBlobs++;
      }
    }
    return { deletedBlobs };
  }
}
