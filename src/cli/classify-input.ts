/**
 * What `tailor classify` classifies: one text, or the texts of a file (.txt: one per line; .jsonl:
 * a `text` field per line; .csv/.tsv: a `text` column), or stdin's lines (`-`). Each text keeps the
 * line it came from, so that results can be matched back to the file.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import { TailorError } from "../errors/index.ts";

export interface TextToClassify {
  text: string;
  /** The line of the file it came from (absent for a text given on the command line). */
  line?: number;
}

const FORMATS =
  ".txt (one text per line), .jsonl (a text field per line), .csv or .tsv (a text column)";

/** `arg` as texts: a file when it names one (`-`: stdin), else the text itself. */
export function textsToClassify(arg: string): { texts: TextToClassify[]; file: string | null } {
  if (arg === "-") return { texts: lines(readFileSync(0, "utf8")), file: "stdin" };
  if (!existsSync(arg) || !statSync(arg).isFile()) {
    if (arg.trim() === "")
      throw new TailorError({
        code: "invalid_argument",
        message: "the text to classify is empty; give a text, or a file of texts",
      });
    return { texts: [{ text: arg }], file: null };
  }
  const content = readUtf8(arg);
  const ext = extname(arg).toLowerCase();
  const texts =
    ext === ".txt"
      ? lines(content)
      : ext === ".jsonl"
        ? jsonl(content, arg)
        : ext === ".csv" || ext === ".tsv"
          ? csv(content, arg, ext === ".tsv" ? "\t" : ",")
          : null;
  if (texts === null)
    throw new TailorError({
      code: "invalid_argument",
      message: `${arg}: classify reads ${FORMATS}; rename the file with one of those endings`,
      details: { file: arg },
    });
  if (texts.length === 0)
    throw new TailorError({
      code: "data_invalid",
      message: `${arg} has no texts to classify`,
      details: { file: arg },
    });
  return { texts, file: arg };
}

function readUtf8(file: string): string {
  const bytes = readFileSync(file);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    throw new TailorError({
      code: "data_invalid",
      message: `${file} is not valid UTF-8; save it as UTF-8`,
      details: { file },
    });
  }
}

/** Every line with words in it (blank lines are skipped). */
function lines(content: string): (TextToClassify & { line: number })[] {
  return content
    .split(/\r?\n/)
    .map((text, i) => ({ text, line: i + 1 }))
    .filter((t) => t.text.trim() !== "");
}

const JsonlLine = z.object({ text: z.string() });

function jsonl(content: string, file: string): TextToClassify[] {
  return lines(content).map(({ text: raw, line }) => {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw bad(file, line, undefined, `is not JSON (${(e as Error).message})`);
    }
    const parsed = JsonlLine.safeParse(value);
    if (!parsed.success)
      throw bad(file, line, "text", 'is missing or not a string: each line needs {"text": "..."}');
    return checked(parsed.data.text, file, line, "text");
  });
}

function csv(content: string, file: string, delimiter: string): TextToClassify[] {
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(content, {
      delimiter,
      info: true,
      relax_column_count: true,
      bom: true,
    }) as unknown as typeof rows;
  } catch (e) {
    const line = (e as { lines?: number }).lines;
    throw bad(file, line, undefined, `is not valid CSV (${(e as Error).message})`);
  }
  const header = rows[0]?.record ?? [];
  const column = header.findIndex((h) => h.trim().toLowerCase() === "text");
  if (column < 0)
    throw new TailorError({
      code: "data_invalid",
      message: `${file}: the first row must be a header with a "text" column; found ${header.map((h) => `"${h.slice(0, 40)}"`).join(", ") || "nothing"}. Name the column of texts "text"`,
      details: { file, line: 1 },
    });
  return rows
    .slice(1)
    .map(({ record, info }) => checked(record[column] ?? "", file, info.lines, "text"));
}

function checked(text: string, file: string, line: number, field: string): TextToClassify {
  if (text.trim() === "")
    throw bad(file, line, field, "is empty: give every row a text, or remove the row");
  return { text, line };
}

function bad(file: string, line: number | undefined, field: string | undefined, what: string) {
  const where = `${file}${line ? `:${line}` : ""}`;
  return new TailorError({
    code: "data_invalid",
    message: `${where}: ${field ? `field ${field} ` : "the line "}${what}`,
    details: { file, line, field },
  });
}
