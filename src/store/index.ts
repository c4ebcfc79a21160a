export { BlobStore, fsyncPath } from "./blobs.ts";
export { type Db, MIGRATIONS, openDb } from "./db.ts";
export { sweepCrashLeftovers, sweepDead, tempDir, tempName, UPLOAD_TEMP_PREFIX } from "./temp.ts";
export { PAUSE_ENV, pauseForTest } from "./test-pause.ts";
