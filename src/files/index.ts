export { FILE_PURPOSES, type FilePurpose, FileStore, type StoredFile } from "./store.ts";
