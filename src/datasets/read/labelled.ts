/** Labelled texts (classification): `{"text": ..., "label": ...}` or `{"text": ..., "labels": [...]}`. */
import type { DataRecord } from "./records.ts";

/** Whether a JSON line is meant as a labelled text. */
export function isLabelledLine(obj: object): boolean {
  return "text" in obj && ("label" in obj || "labels" in obj);
}

export function parseLabelledLine(_obj: Record<string, unknown>, line: number): DataRecord {
  return {
    kind: "problem",
    line,
    code: "unknown_format",
    message: "labelled texts are not read yet",
  };
}
