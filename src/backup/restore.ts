/**
 * `tailor restore FILE`: a backup into an empty (or new) home. The archive is read whole into a
 * temporary folder beside the home, every file checked against the manifest's sha256, and only then
 * is the folder renamed into place: a damaged archive restores nothing and says which file is wrong.
 * Paths under the old home are moved to the new one, and jobs that were running when the backup was
 * taken are handed to the next worker, which resumes each from its last checkpoint.
 */

import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { TailorError } from "../errors/index.ts";
import { JobStore } from "../jobs/index.ts";
import { openDb } from "../store/index.ts";
import { readArchive } from "./archive.ts";
import type { BackupManifest } from "./manifest.ts";
import { relocate } from "./relocate.ts";
import { refuseSharedStore } from "./shared-store.ts";

export interface RestoreOptions {
  file: string;
  home: string;
  /** Bytes of the archive's files read so far. */
  onBytes?: ((bytes: number) => void) | undefined;
}

export interface RestoreResult {
  home: string;
  files: number;
  bytes: number;
  created: string;
  /** The home the backup was taken from. */
  from: string;
  /** Jobs that were running: the next worker resumes them. */
  resumable_jobs: string[];
  seconds: number;
}

export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  refuseSharedStore();
  const started = Date.now();
  const file = resolve(opts.file);
  const home = resolve(opts.home);
  if (!existsSync(file)) {
    throw new TailorError({
      code: "file_not_found",
      message: `no backup at ${file}`,
      details: { file },
    });
  }
  refuseNonEmpty(home);
  mkdirSync(dirname(home), { recursive: true });
  const temp = join(
    dirname(home),
    `.${basename(home)}.restore-${process.pid}-${randomBytes(6).toString("hex")}`,
  );
  mkdirSync(temp, { mode: 0o700 });
  try {
    const check = await readArchive(file, { extractTo: temp, onBytes: opts.onBytes });
    if (check.problems.length > 0 || !check.manifest) {
      const shown = check.problems.slice(0, 5).join("; ");
      const more = check.problems.length > 5 ? ` (and ${check.problems.length - 5} more)` : "";
      throw new TailorError({
        code: "data_invalid",
        message: `the backup ${file} is damaged, so nothing was restored (${home} is untouched): ${shown}${more}`,
        details: { file, problems: check.problems },
      });
    }
    const manifest = check.manifest;
    for (const f of manifest.files) chmodSync(join(temp, f.path), f.mode);
    relocate(temp, manifest.files, manifest.home, home);
    const resumable = handBackRunningJobs(temp, manifest);
    refuseNonEmpty(home); // someone may have started using it while we read
    if (existsSync(home)) rmdirSync(home);
    renameSync(temp, home);
    return {
      home,
      files: manifest.files.length,
      bytes: check.bytes,
      created: manifest.created,
      from: manifest.home,
      resumable_jobs: resumable,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

function refuseNonEmpty(home: string): void {
  if (!existsSync(home)) return;
  const names = readdirSync(home);
  if (names.length === 0) return;
  const shown = names.slice(0, 5).join(", ") + (names.length > 5 ? ", …" : "");
  throw new TailorError({
    code: "conflict",
    message: `${home} is not empty (${shown}); restore into an empty or new folder (\`tailor restore FILE --home NEW_FOLDER\`, then TAILOR_HOME=NEW_FOLDER), or move this one away first`,
    details: { file: home },
  });
}

/**
 * The restored store's running jobs belong to workers that do not exist here: their leases are
 * ended and the workers forgotten, so the next worker takes each job at once and resumes it.
 */
function handBackRunningJobs(dir: string, manifest: BackupManifest): string[] {
  const db = openDb(dir); // also brings an older backup's schema up to date
  try {
    const store = new JobStore(db);
    const running = db.prepare("SELECT id FROM jobs WHERE status = 'running'").all() as {
      id: string;
    }[];
    db.transaction(() => {
      db.prepare(
        "UPDATE jobs SET lease_expires_ms = 0, engine_pid = NULL WHERE status = 'running'",
      ).run();
      db.prepare("DELETE FROM workers").run();
      for (const { id } of running) {
        store.events.add(id, {
          type: "message",
          message: `restored from the backup of ${manifest.created}: the next worker resumes it from its last checkpoint`,
          data: { backup_created: manifest.created },
        });
      }
    })();
    return running.map((r) => r.id);
  } finally {
    db.close();
  }
}
