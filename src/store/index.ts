export { BlobStore } from "./blobs.ts";
export { type Db, openDb } from "./db.ts";
