/**
 * `tailor backup`: a consistent copy of TAILOR_HOME while the server and workers keep writing.
 * The database is copied with SQLite's online backup API (one read transaction: a snapshot that does
 * not block writers); every other file the backup takes is hard-linked into a staging folder right
 * after (the store writes files aside and renames them into place, so a link is a frozen copy at no
 * cost; a copy where links are not possible), hashed, listed in the manifest and written into a tar
 * archive, which is then read back and checked against the manifest before it gets its final name.
 */

import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  copyFileSync,
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { create as tarCreate } from "tar";
import { TailorError } from "../errors/index.ts";
import { readArchive } from "./archive.ts";
import { checkpointOf, collect } from "./collect.ts";
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  type BackupFile,
  type BackupManifest,
  MANIFEST_FILE,
  MANIFEST_HASH_FILE,
} from "./manifest.ts";
import { refuseSharedStore } from "./shared-store.ts";

export type BackupPhase = "database" | "files" | "hashing" | "writing" | "verifying";

export interface BackupOptions {
  home: string;
  /** The archive to write; `.tar.gz`/`.tgz` is compressed. */
  out: string;
  onProgress?: ((phase: BackupPhase, done: number, total: number) => void) | undefined;
}

export interface BackupResult {
  file: string;
  /** The archive's size. */
  bytes: number;
  files: number;
  /** The files' sizes added up (the database's copy included). */
  data_bytes: number;
  seconds: number;
  running_jobs: string[];
  excluded: string[];
}

export async function createBackup(opts: BackupOptions): Promise<BackupResult> {
  refuseSharedStore();
  const started = Date.now();
  const home = resolve(opts.home);
  const out = resolve(opts.out);
  const progress = opts.onProgress ?? (() => {});
  const dbFile = join(home, "tailor.db");
  if (!existsSync(dbFile)) {
    throw new TailorError({
      code: "not_found",
      message: `nothing to back up: ${home} has no tailor.db (is TAILOR_HOME right?)`,
      details: { file: dbFile },
    });
  }
  if (existsSync(out)) {
    throw new TailorError({
      code: "conflict",
      message: `${out} already exists; give another file with --out (a backup never overwrites one)`,
      details: { file: out },
    });
  }
  mkdirSync(dirname(out), { recursive: true });
  const staging = join(home, "tmp", `backup-${process.pid}-${randomBytes(6).toString("hex")}`);
  const partial = `${out}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    progress("database", 0, 1);
    const db = await snapshotDatabase(dbFile, join(staging, "tailor.db"));
    progress("database", 1, 1);

    const skip = new Set([out, partial]);
    const { files, excluded } = collect(home, skip);
    const linked: { rel: string; mode: number }[] = [];
    const dropped = new Set<string>();
    files.forEach((f, i) => {
      const target = join(staging, f.rel);
      mkdirSync(dirname(target), { recursive: true });
      try {
        stage(f.abs, target);
        linked.push({ rel: f.rel, mode: f.stat.mode & 0o777 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        const ckpt = checkpointOf(f.rel); // pruned while we copied: keep no part of that checkpoint
        if (ckpt) dropped.add(ckpt);
        excluded.push(`${f.rel} (removed while the backup ran)`);
      }
      progress("files", i + 1, files.length);
    });
    for (const ckpt of dropped) {
      rmSync(join(staging, ckpt), { recursive: true, force: true });
      excluded.push(`${ckpt}/ (a checkpoint pruned by training while the backup ran)`);
    }
    const kept = linked.filter((f) => !dropped.has(checkpointOf(f.rel) ?? ""));

    const entries = [{ rel: "tailor.db", mode: 0o600 }, ...kept];
    const total = entries.reduce((n, f) => n + statSync(join(staging, f.rel)).size, 0);
    let done = 0;
    const listed: BackupFile[] = [];
    for (const f of entries) {
      const { sha256, size } = await hashFile(join(staging, f.rel), (n) => {
        done += n;
        progress("hashing", done, total);
      });
      listed.push({ path: f.rel, size, sha256, mode: f.mode });
    }
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      created: new Date().toISOString(),
      home,
      schema_version: db.schemaVersion,
      running_jobs: db.runningJobs,
      files: listed,
      excluded,
    };
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    writeFileSync(join(staging, MANIFEST_FILE), manifestText);
    writeFileSync(
      join(staging, MANIFEST_HASH_FILE),
      `${createHash("sha256").update(manifestText).digest("hex")}\n`,
    );

    progress("writing", 0, 1);
    await tarCreate(
      { file: partial, cwd: staging, portable: true, gzip: /\.(tar\.gz|tgz)$/i.test(out) },
      [MANIFEST_FILE, ...listed.map((f) => f.path), MANIFEST_HASH_FILE],
    );
    progress("writing", 1, 1);

    const check = await readArchive(partial, {
      onBytes: (n) => progress("verifying", Math.min(n, total), total),
    });
    if (check.problems.length > 0) {
      throw new TailorError({
        code: "internal",
        message: `the archive just written does not match its manifest: ${check.problems.join("; ")}`,
        details: { file: partial },
      });
    }
    renameSync(partial, out);
    return {
      file: out,
      bytes: statSync(out).size,
      files: listed.length,
      data_bytes: total,
      seconds: (Date.now() - started) / 1000,
      running_jobs: db.runningJobs,
      excluded,
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
}

/**
 * The database through SQLite's online backup API, all pages in one step (one read transaction: a
 * consistent snapshot even while a server and workers write), left as a single file.
 */
async function snapshotDatabase(
  from: string,
  to: string,
): Promise<{ schemaVersion: number; runningJobs: string[] }> {
  const src = new Database(from, { fileMustExist: true });
  try {
    src.pragma("busy_timeout = 5000");
    await src.backup(to, { progress: () => 0x7fffffff });
  } finally {
    src.close();
  }
  const copy = new Database(to);
  try {
    copy.pragma("journal_mode = DELETE");
    const check = copy.pragma("quick_check", { simple: true });
    if (check !== "ok") {
      throw new TailorError({
        code: "internal",
        message: `the database's copy fails SQLite's check (${String(check)}); the database itself may be damaged: run \`sqlite3 ${from} "PRAGMA integrity_check"\``,
        details: { file: from },
      });
    }
    const schemaVersion = copy.pragma("user_version", { simple: true }) as number;
    const hasJobs = copy
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'")
      .get();
    const runningJobs = hasJobs
      ? (
          copy
            .prepare("SELECT id FROM jobs WHERE status = 'running' ORDER BY created_at")
            .all() as {
            id: string;
          }[]
        ).map((r) => r.id)
      : [];
    return { schemaVersion, runningJobs };
  } finally {
    copy.close();
  }
}

/** A hard link (a frozen copy: files are replaced by rename, never rewritten), or a copy. */
function stage(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw e;
    copyFileSync(from, to);
  }
}

async function hashFile(
  file: string,
  onChunk: (bytes: number) => void,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  const stream = createReadStream(file);
  stream.on("data", (chunk) => {
    hash.update(chunk);
    size += chunk.length;
    onChunk(chunk.length);
  });
  await once(stream, "end");
  return { sha256: hash.digest("hex"), size };
}
