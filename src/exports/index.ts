/**
 * Exports: a model written out to run elsewhere, as a PEFT adapter, a merged Hugging Face folder,
 * GGUF for llama.cpp, or an Ollama model. `writeExport` writes one into a folder (the CLI);
 * `ExportService` records them and runs them in the background for the API.
 */
export { type ExportDownload, exportDownload } from "./download.ts";
export { humanBytes } from "./readme.ts";
export { ExportService, type ExportServiceDeps, type ExportView, STOPPED } from "./service.ts";
export { type ExportRecord, type ExportStatus, ExportStore } from "./store.ts";
export { type ExportSubject, exportQuantization, exportSubject } from "./subject.ts";
export { fixedSystemPrompt, storedSystemPrompt } from "./system-prompt.ts";
export type {
  ExportFile,
  ExportFormat,
  ExportProgress,
  ExportResult,
  ExportRunner,
  GgufQuantization,
} from "./types.ts";
export { checkTarget, fileStem, nextStep, type WriteOptions, writeExport } from "./write.ts";
