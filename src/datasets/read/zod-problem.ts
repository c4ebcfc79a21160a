import type { ZodError } from "zod";
import type { DataRecord, ProblemCode } from "./records.ts";

function fieldPath(path: PropertyKey[]): string {
  return path
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
    .join("")
    .replace(/^\./, "");
}

function lookup(value: unknown, path: PropertyKey[]): unknown {
  let v: unknown = value;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** The first thing zod found wrong with a line, as a problem naming its field. */
export function fromZod(error: ZodError, line: number, value: unknown): DataRecord {
  const issue = error.issues[0];
  const field = fieldPath(issue?.path ?? []);
  let code: ProblemCode = "wrong_type";
  let message = issue?.message ?? "is invalid";
  if (field.endsWith(".role") && issue?.code === "invalid_value") {
    code = "unknown_role";
    message = `must be "system", "user", "assistant" or "tool"`;
  } else if (issue?.code === "invalid_type" && lookup(value, issue.path) === undefined) {
    code = "missing_field";
    message = "is missing";
  } else if (issue?.code === "too_small" && field === "messages") {
    code = "missing_field";
    message = "is empty; add the conversation";
  } else if (issue?.code === "too_small" && field.endsWith(".tool_calls")) {
    message = "is empty; list the calls, or leave tool_calls out";
  }
  return { kind: "problem", line, code, ...(field ? { field } : {}), message };
}
