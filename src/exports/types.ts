/** What an export is made of, shared by the writer, the API's service and the CLI. */
import type { ExportFormat } from "../../protocol/api/exports.ts";
import type { EngineMessage, ExportRequest, GgufQuantization } from "../../protocol/index.ts";
import type { EngineRunOptions } from "../engine/index.ts";

export type { ExportFormat, GgufQuantization };

/** What the engine is doing, with a fraction done when it knows one (the API keeps the latest). */
export interface ExportProgress {
  stage: string;
  message: string;
  current: number | null;
  total: number | null;
}

/** A file written, its path relative to the export's folder. */
export interface ExportFile {
  name: string;
  bytes: number;
}

/** The written export: where, which files, and what to run next. */
export interface ExportResult {
  /** The export's folder. */
  dir: string;
  format: ExportFormat;
  quantization: GgufQuantization | null;
  /** Every file, sorted by name. */
  files: ExportFile[];
  bytes: number;
  /** The base's architecture as Hugging Face names it (`LlamaForCausalLM`). */
  architecture: string;
  /** The tokens that end the assistant's turn. */
  stopTokens: string[];
  /** The one command (or line of Python) to run next. */
  nextStep: string;
}

/** The engine's `export` command (the real `runEngine`, or a fake in unit tests). */
export type ExportRunner = (
  command: "export",
  request: ExportRequest,
  opts: EngineRunOptions,
) => AsyncIterable<EngineMessage>;
