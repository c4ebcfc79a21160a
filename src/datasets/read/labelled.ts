/**
 * Labelled texts (classification): JSONL `{"text": ..., "label": ...}` or `{"text": ..., "labels":
 * [...]}` (multi-label), and CSV/TSV rows with a `text` and a `label` (or `labels`) column. Each
 * becomes an example whose user message is the text and whose answer is its labels joined by ", "
 * (so a generative model can be trained on the same file), with the labels kept as `labels`.
 */
import { parseChatLine } from "./chat.ts";
import type { DataRecord, Example } from "./records.ts";

/** A label is a short name; longer than this, the text and label were probably swapped. */
export const MAX_LABEL_CHARS = 100;

/** CSV/TSV `labels` cells hold several labels separated by one of these. */
const CELL_SEPARATORS = /[|;]/;

type Problem = Extract<DataRecord, { kind: "problem" }>;

/** Whether a JSON line is meant as a labelled text. */
export function isLabelledLine(obj: object): boolean {
  return "text" in obj && ("label" in obj || "labels" in obj);
}

const problem = (line: number, code: Problem["code"], field: string, message: string): Problem => ({
  kind: "problem",
  line,
  code,
  field,
  message,
});

/** One label checked: text, not empty, short. */
function checkLabel(value: unknown, line: number, field: string): string | Problem {
  if (typeof value !== "string")
    return problem(
      line,
      "wrong_type",
      field,
      `must be text, e.g. "spam"${typeof value === "number" ? ` (write the number as "${value}")` : ""}`,
    );
  const label = value.trim();
  if (label === "") return problem(line, "empty_content", field, "is empty; write the label");
  if (label.length > MAX_LABEL_CHARS)
    return problem(
      line,
      "wrong_type",
      field,
      `is ${label.length} characters long; a label is a short name (at most ${MAX_LABEL_CHARS}). Are the text and the label the other way round?`,
    );
  return label;
}

/** The labels of a line (one or several) checked, or the first problem with them. */
function checkLabels(values: unknown[], line: number, field: (i: number) => string) {
  const labels: string[] = [];
  for (const [i, v] of values.entries()) {
    const label = checkLabel(v, line, field(i));
    if (typeof label !== "string") return label;
    if (labels.includes(label))
      return problem(line, "wrong_type", field(i), `repeats the label "${label}"; list it once`);
    labels.push(label);
  }
  return labels;
}

function checkText(value: unknown, line: number, field: string): string | Problem {
  if (value === undefined || value === null)
    return problem(line, "missing_field", field, "is missing; add the text to classify");
  if (typeof value !== "string") return problem(line, "wrong_type", field, "must be text");
  if (value.trim() === "")
    return problem(line, "empty_content", field, "is empty; write the text or remove the line");
  return value;
}

/** The example a text and its labels make. */
export function labelledExample(text: string, labels: string[]): Example {
  return {
    messages: [
      { role: "user", content: text },
      { role: "assistant", content: labels.join(", ") },
    ],
    labels,
  };
}

/** Tailor's stored form (what a stored dataset holds): a chat line that keeps its `labels`. */
export function isStoredLabelledLine(obj: object): boolean {
  return "messages" in obj && "labels" in obj;
}

export function parseStoredLabelledLine(obj: Record<string, unknown>, line: number): DataRecord {
  const chat = parseChatLine(obj, line);
  if (chat.kind !== "example") return chat;
  const value = obj.labels;
  if (!Array.isArray(value) || value.length === 0)
    return problem(line, "wrong_type", "labels", "must be a list of one or more labels");
  const labels = checkLabels(value, line, (i) => `labels[${i}]`);
  if (!Array.isArray(labels)) return labels;
  return { kind: "example", line, example: { ...chat.example, labels } };
}

export function parseLabelledLine(obj: Record<string, unknown>, line: number): DataRecord {
  if ("label" in obj && "labels" in obj)
    return problem(
      line,
      "wrong_type",
      "labels",
      'give either "label" (one label) or "labels" (a list), not both',
    );
  const text = checkText(obj.text, line, "text");
  if (typeof text !== "string") return text;
  let labels: string[] | Problem;
  if ("labels" in obj) {
    const value = obj.labels;
    if (!Array.isArray(value))
      return problem(
        line,
        "wrong_type",
        "labels",
        'must be a list of labels, e.g. ["billing", "urgent"] (for one label, "label": "billing")',
      );
    if (value.length === 0)
      return problem(line, "empty_content", "labels", "is empty; give at least one label");
    labels = checkLabels(value, line, (i) => `labels[${i}]`);
  } else labels = checkLabels([obj.label], line, () => "label");
  if (!Array.isArray(labels)) return labels;
  return { kind: "example", line, example: labelledExample(text, labels) };
}

/**
 * A CSV/TSV row's text and label cell. A `labels` column may hold several labels separated by "|"
 * or ";" (multi-label); a `label` column holds one.
 */
export function parseLabelledRow(
  text: string | undefined,
  cell: string | undefined,
  column: "label" | "labels",
  line: number,
): DataRecord {
  if (text === undefined || cell === undefined)
    return problem(
      line,
      "missing_field",
      text === undefined ? "text" : column,
      "is missing (the row has fewer columns than the header)",
    );
  const checked = checkText(text, line, "text");
  if (typeof checked !== "string") return checked;
  const parts = column === "labels" ? cell.split(CELL_SEPARATORS) : [cell];
  if (column === "labels" && parts.every((p) => p.trim() === ""))
    return problem(line, "empty_content", column, "is empty; write the label(s)");
  const labels = checkLabels(
    column === "labels" ? parts.filter((p) => p.trim() !== "") : parts,
    line,
    () => column,
  );
  if (!Array.isArray(labels)) return labels;
  return { kind: "example", line, example: labelledExample(checked, labels) };
}
