export { DEFAULT_MAX_UPLOAD_BYTES, FILE_PURPOSES, FileStore, type StoredFile } from "./store.ts";
