export { type ArchiveCheck, readArchive } from "./archive.ts";
export { type BackupPhase, type BackupResult, createBackup } from "./create.ts";
export { type BackupManifest, MANIFEST_FILE } from "./manifest.ts";
export { type RestoreResult, restoreBackup } from "./restore.ts";
