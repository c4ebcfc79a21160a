/**
 * What a backup archive holds, listed in its first entry (`manifest.json`): each file with its size,
 * sha256 and mode. The archive's last entry (`manifest.sha256`) is the manifest's own hash, so a
 * damaged byte anywhere, manifest included, is found before anything is restored.
 */
import { z } from "zod";

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_HASH_FILE = "manifest.sha256";
export const BACKUP_FORMAT = "tailor-backup";
export const BACKUP_VERSION = 1;

export const BackupFile = z.object({
  /** Relative to TAILOR_HOME, with forward slashes. */
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mode: z.number().int().min(0).max(0o777),
});
export type BackupFile = z.infer<typeof BackupFile>;

export const BackupManifest = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(BACKUP_VERSION),
  created: z.string(),
  /** The home it was taken from: paths stored under it are moved to the home it is restored into. */
  home: z.string().min(1),
  /** The database's schema version (`PRAGMA user_version`). */
  schema_version: z.number().int(),
  /** Jobs that were running when it was taken: a worker resumes them from their last checkpoint. */
  running_jobs: z.array(z.string()),
  files: z.array(BackupFile),
  /** What was left out on purpose (caches, temporary files), for the record. */
  excluded: z.array(z.string()),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

/** Whether `path` (from an archive) is a plain relative path that stays inside the folder. */
export function safeRelativePath(path: string): boolean {
  if (path.startsWith("/") || path.includes("\\") || path.includes("\0")) return false;
  return path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}
