import { readCsv } from "./csv.ts";
import { readJsonl } from "./jsonl.ts";
import type { DataRecord } from "./records.ts";
import { sniffFile } from "./sniff.ts";

export { COLUMN_PAIRS } from "./csv.ts";
export { parseJsonLine } from "./jsonl.ts";
export { MAX_LINE_BYTES, readLines } from "./lines.ts";
export type { DataRecord, Example, ProblemCode, ProblemRecord } from "./records.ts";
export { type FileFormat, sniffFile } from "./sniff.ts";

export interface ReadOptions {
  /** CSV/TSV: "promptColumn,completionColumn" when the header does not name them. */
  columns?: string | undefined;
}

/** Every example or problem in a data file, streamed in order (JSONL, CSV or TSV). */
export function readRecords(file: string, opts: ReadOptions = {}): AsyncGenerator<DataRecord> {
  const format = sniffFile(file);
  if (format === "jsonl") return readJsonl(file);
  return readCsv(file, { delimiter: format === "csv" ? "," : "\t", columns: opts.columns });
}
