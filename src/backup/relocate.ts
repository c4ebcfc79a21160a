/**
 * A restored home may be in another place than the one backed up (another machine, another user):
 * the store keeps absolute paths (a job's base model folder, its checkpoints, a model's manifest and
 * adapter config), so the old home's path is replaced by the new one in the database's text columns
 * and in the text files that hold paths. Jobs that were running are handed to the next worker.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { BackupFile } from "./manifest.ts";

/** Text files that may name paths (JSON, model cards, READMEs); weights and binaries are left alone. */
const TEXT_FILE = /\.(json|jsonl|md|txt|yaml|yml|html)$/i;

export interface Relocation {
  /** Database cells changed. */
  cells: number;
  /** Files whose text changed. */
  files: string[];
}

export function relocate(dir: string, files: BackupFile[], from: string, to: string): Relocation {
  const result: Relocation = { cells: 0, files: [] };
  if (from === to) return result;
  result.cells = relocateDatabase(join(dir, "tailor.db"), from, to);
  for (const f of files) {
    if (!TEXT_FILE.test(f.path) || f.size > 64 * 1024 * 1024) continue;
    const file = join(dir, f.path);
    const text = readFileSync(file, "utf8");
    const moved = replacePaths(text, from, to);
    if (moved !== text) {
      writeFileSync(file, moved);
      result.files.push(f.path);
    }
  }
  return result;
}

/** `from` as a whole path (itself, or followed by a separator) replaced by `to`. */
export function replacePaths(text: string, from: string, to: string): string {
  return text.replace(new RegExp(`${escapeRegExp(from)}(?=[/"'\\s\\\\]|$)`, "gm"), to);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Every text cell of the ordinary tables. Virtual tables (full-text and vector indexes), their shadow
 * tables and the tables they index are left alone: changing those rows would put the index out of
 * step, and no path lives there.
 */
function relocateDatabase(file: string, from: string, to: string): number {
  const db = new Database(file, { fileMustExist: true });
  try {
    const tables = db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
      )
      .all() as { name: string; sql: string | null }[];
    const virtual = tables.filter((t) => /^CREATE VIRTUAL TABLE/i.test(t.sql ?? ""));
    const indexed = new Set(
      virtual.flatMap((t) =>
        [...(t.sql ?? "").matchAll(/content\s*=\s*['"]?(\w+)/gi)].map((m) => m[1]),
      ),
    );
    let cells = 0;
    db.transaction(() => {
      for (const t of tables) {
        if (virtual.some((v) => t.name === v.name || t.name.startsWith(`${v.name}_`))) continue;
        if (indexed.has(t.name)) continue;
        const columns = db.prepare(`PRAGMA table_info("${t.name}")`).all() as { name: string }[];
        for (const c of columns) {
          const col = `"${c.name.replaceAll('"', '""')}"`;
          const rows = db
            .prepare(
              `SELECT rowid AS id, ${col} AS v FROM "${t.name}" WHERE typeof(${col}) = 'text' AND instr(${col}, ?) > 0`,
            )
            .all(from) as { id: number; v: string }[];
          const update = db.prepare(`UPDATE "${t.name}" SET ${col} = ? WHERE rowid = ?`);
          for (const r of rows) {
            const moved = replacePaths(r.v, from, to);
            if (moved !== r.v) {
              update.run(moved, r.id);
              cells++;
            }
          }
        }
      }
    })();
    return cells;
  } finally {
    db.close();
  }
}
