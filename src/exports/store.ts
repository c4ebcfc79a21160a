/**
 * The `exports` table: one row per export made through the API, made before the work starts and
 * finished as succeeded (its files and size) or failed (why, with what to do).
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { SqlDb } from "../store/sql.ts";
import type { ExportFile, ExportFormat, GgufQuantization } from "./types.ts";

export type ExportStatus = "running" | "succeeded" | "failed";

export interface ExportRecord {
  id: string;
  /** The model exported (its id). */
  model: string;
  /** The key owner who asked for it. */
  owner: string;
  format: ExportFormat;
  quantization: GgufQuantization | null;
  status: ExportStatus;
  error: string | null;
  /** The export's folder. */
  path: string;
  files: ExportFile[];
  bytes: number | null;
  /** Unix seconds. */
  created_at: number;
  finished_at: number | null;
}

interface Row {
  id: string;
  model: string;
  owner: string;
  format: string;
  quantization: string | null;
  status: string;
  error: string | null;
  path: string | null;
  files_json: string | null;
  bytes: number | null;
  created_at: number;
  finished_at: number | null;
}

const Files = z.array(z.object({ name: z.string(), bytes: z.number().int() }));

function fromRow(r: Row): ExportRecord {
  const files = r.files_json ? Files.safeParse(JSON.parse(r.files_json)) : null;
  return {
    id: r.id,
    model: r.model,
    owner: r.owner,
    format: r.format as ExportFormat,
    quantization: r.quantization as GgufQuantization | null,
    status: r.status as ExportStatus,
    error: r.error,
    path: r.path ?? "",
    files: files?.success ? files.data : [],
    bytes: r.bytes,
    created_at: r.created_at,
    finished_at: r.finished_at,
  };
}

const now = () => Math.floor(Date.now() / 1000);

export class ExportStore {
  constructor(private readonly db: SqlDb) {}

  /** A new running export (its folder chosen by the caller from the id). */
  create(input: {
    model: string;
    owner: string;
    format: ExportFormat;
    quantization: GgufQuantization | null;
    path: (id: string) => string;
  }): ExportRecord {
    const id = `export-${randomBytes(12).toString("hex")}`;
    this.db
      .prepare(
        `INSERT INTO exports (id, model, owner, format, quantization, status, path, created_at)
         VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`,
      )
      .run(id, input.model, input.owner, input.format, input.quantization, input.path(id), now());
    return this.get(id) as ExportRecord;
  }

  get(id: string): ExportRecord | null {
    const row = this.db.prepare("SELECT * FROM exports WHERE id = ?").get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Newest first; `owner` undefined: everyone's; `model`: that model's only. */
  list(filter: { owner?: string | undefined; model?: string | undefined } = {}): ExportRecord[] {
    const where: string[] = [];
    const args: string[] = [];
    if (filter.owner !== undefined) {
      where.push("owner = ?");
      args.push(filter.owner);
    }
    if (filter.model !== undefined) {
      where.push("model = ?");
      args.push(filter.model);
    }
    const sql = `SELECT * FROM exports ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, rowid DESC`;
    return (this.db.prepare(sql).all(...args) as Row[]).map(fromRow);
  }

  succeed(id: string, files: ExportFile[]): void {
    const bytes = files.reduce((n, f) => n + f.bytes, 0);
    this.db
      .prepare(
        "UPDATE exports SET status = 'succeeded', files_json = ?, bytes = ?, finished_at = ? WHERE id = ? AND status = 'running'",
      )
      .run(JSON.stringify(files), bytes, now(), id);
  }

  fail(id: string, error: string): void {
    this.db
      .prepare(
        "UPDATE exports SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'running'",
      )
      .run(error, now(), id);
  }

  /** Marks every export still running as failed with `error` (a server that stopped); how many. */
  failRunning(error: string): number {
    return this.db
      .prepare(
        "UPDATE exports SET status = 'failed', error = ?, finished_at = ? WHERE status = 'running'",
      )
      .run(error, now()).changes;
  }

  delete(id: string): void {
    this.db.prepare("DELETE FROM exports WHERE id = ?").run(id);
  }
}
