export { MAX_FILENAME, safeFilename } from "./filename.ts";
export { FILE_PURPOSES, type FilePurpose, FileStore, type StoredFile } from "./store.ts";
