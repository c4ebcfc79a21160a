import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sharedRoot, writeRoot } from "./shared.ts";

/**
 * Temporary files and folders of writes in progress, named after the process that writes them
 * (`<prefix>-<pid>-<random>`), so that the next process to open the store can tell a crashed
 * writer's leftovers (its process is gone) from a running writer's (another process on the same
 * home: a server and a CLI command, a server and a worker) and remove only the former.
 */

/** A fresh name `<prefix>-<pid>-<random>` for a temporary file or folder of this process. */
export function tempName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(6).toString("hex")}`;
}

/**
 * Where writes in progress live before they are renamed into place: TAILOR_HOME/tmp, or this
 * machine's folder in TAILOR_SHARED_DIR/tmp (./shared.ts `writeRoot`).
 */
export function tempDir(home: string): string {
  const dir = writeRoot(home);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The prefix of an upload's temporary folder in the system's temporary folder. */
export const UPLOAD_TEMP_PREFIX = "tailor-upload";

/** Whether a process with this id runs (EPERM: it does, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the entries of `dir` named `<prefix>-<pid>-<random>` (any prefix when `prefix` is
 * omitted), or a name made from one (`…-<random>-<more>`, the engine's folder beside a model being
 * made), whose process has ended: what a killed writer left. Returns the names removed.
 */
export function sweepDead(dir: string, prefix?: string): string[] {
  if (!existsSync(dir)) return [];
  const pattern = new RegExp(`^${prefix ?? "[\\w.]+"}-(\\d+)-[0-9a-f]{12}(?:-\\w+)?$`);
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const pid = Number(pattern.exec(name)?.[1] ?? Number.NaN);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // another user's (a shared temporary folder): theirs to remove; opening the store goes on
    }
  }
  return removed;
}

/**
 * What crashed writers left in a home: TAILOR_HOME/tmp (blobs being copied, datasets being
 * normalised), the hidden `.tmp-…` folders of models being made or installed, and uploads being
 * received in the system's temporary folder. Run when the store opens.
 */
export function sweepCrashLeftovers(home: string): string[] {
  const shared = sharedRoot(home) !== home;
  return [
    ...sweepDead(join(home, "tmp")),
    ...(shared ? sweepDead(writeRoot(home)) : []),
    // in a shared folder, another machine's model being made has a process id that means nothing here
    ...(shared ? [] : sweepDead(join(home, "models"), "\\.tmp-.*")),
    ...sweepDead(tmpdir(), UPLOAD_TEMP_PREFIX),
  ];
}
