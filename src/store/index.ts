export { BlobStore, fsyncPath } from "./blobs.ts";
export { type Db, MIGRATIONS, openDb } from "./db.ts";
export { databaseUrl, openStore } from "./open.ts";
export { redact as redactUrl } from "./postgres/db.ts";
export { sharedRoot, writeRoot } from "./shared.ts";
export type { SqlDb } from "./sql.ts";
export { sweepCrashLeftovers, sweepDead, tempDir, tempName, UPLOAD_TEMP_PREFIX } from "./temp.ts";
export { PAUSE_ENV, pauseForTest } from "./test-pause.ts";
