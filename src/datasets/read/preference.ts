/** Preference pairs (DPO): OpenAI's `input`/`preferred_output`/`non_preferred_output`, and TRL's `prompt`/`chosen`/`rejected`. */
import type { DataRecord } from "./records.ts";

/** Whether a JSON line is meant as a preference pair. */
export function isPreferenceLine(obj: object): boolean {
  return (
    "preferred_output" in obj ||
    "non_preferred_output" in obj ||
    "chosen" in obj ||
    "rejected" in obj
  );
}

export function parsePreferenceLine(_obj: Record<string, unknown>, line: number): DataRecord {
  return {
    kind: "problem",
    line,
    code: "unknown_format",
    message: "preference pairs are not read yet",
  };
}
