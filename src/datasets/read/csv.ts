import { createReadStream } from "node:fs";
import { Transform } from "node:stream";
import { parse } from "csv-parse";
import { TailorError } from "../../errors/index.ts";
import { parseLabelledRow } from "./labelled.ts";
import { checkConversation, type DataRecord, type Example } from "./records.ts";

/** Header pairs recognised without --columns, in order of preference. */
export const COLUMN_PAIRS: readonly [string, string][] = [
  ["prompt", "completion"],
  ["input", "output"],
  ["question", "answer"],
  ["instruction", "response"],
];

export interface CsvOptions {
  delimiter: "," | "\t";
  /** Explicit "promptColumn,completionColumn". */
  columns?: string | undefined;
}

function pickColumns(header: string[], file: string, explicit?: string): Columns {
  const names = header.map((h) => h.trim().toLowerCase());
  const system = names.indexOf("system");
  if (explicit) {
    const [p, c] = explicit.split(",").map((s) => s.trim().toLowerCase());
    const prompt = names.indexOf(p ?? "");
    const completion = names.indexOf(c ?? "");
    if (!p || !c || prompt < 0 || completion < 0) {
      throw new TailorError({
        code: "invalid_argument",
        message: `--columns ${explicit}: ${file} has the columns ${header.map((h) => `"${h}"`).join(", ")}; name two of them, e.g. --columns ${header[0] ?? "question"},${header[1] ?? "answer"}`,
        details: { file, line: 1 },
      });
    }
    return { prompt, completion, system };
  }
  for (const [p, c] of COLUMN_PAIRS) {
    if (names.includes(p) && names.includes(c))
      return { prompt: names.indexOf(p), completion: names.indexOf(c), system };
  }
  // labelled texts (classification): the label is the answer, and also the example's `labels`
  const labels = names.includes("label") ? "label" : names.includes("labels") ? "labels" : null;
  if (names.includes("text") && labels)
    return { prompt: names.indexOf("text"), completion: names.indexOf(labels), system, labels };
  throw new TailorError({
    code: "data_invalid",
    message: `${file}: the first row must be a header naming the columns (${COLUMN_PAIRS.map(([p, c]) => `${p}/${c}`).join(", ")}, or text/label for labelled texts); found ${header.map((h) => `"${h.slice(0, 40)}"`).join(", ")}. Add a header row, or pass --columns PROMPT_COLUMN,ANSWER_COLUMN`,
    details: { file, line: 1 },
  });
}

interface Columns {
  prompt: number;
  completion: number;
  system: number;
  /** Labelled texts: the label column's name (`labels`: several per row, separated by | or ;). */
  labels?: "label" | "labels";
}

/** Fails the stream at the first byte that is not UTF-8, naming the line. */
function utf8Guard(file: string): Transform {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let line = 1;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        done(
          new TailorError({
            code: "data_invalid",
            message: `${file} is not valid UTF-8 (near line ${line}); save it as UTF-8`,
            details: { file, line },
          }),
        );
        return;
      }
      for (const b of chunk) if (b === 10) line++;
      done(null, chunk);
    },
  });
}

/**
 * Streams a CSV/TSV file with a header row. Quoted fields may span lines; each row's line number is
 * the line it starts on.
 */
export async function* readCsv(file: string, opts: CsvOptions): AsyncGenerator<DataRecord> {
  const parser = createReadStream(file)
    .pipe(utf8Guard(file))
    .pipe(
      parse({
        delimiter: opts.delimiter,
        bom: true,
        relax_column_count: true,
        skip_empty_lines: true,
        info: true,
        max_record_size: 8 * 1024 * 1024,
      }),
    );
  let cols: Columns | null = null;
  let width = 0;
  try {
    for await (const row of parser as AsyncIterable<{
      record: string[];
      info: { lines: number; raw?: string };
    }>) {
      const line = row.info.lines - (row.record.join("").split("\n").length - 1);
      if (!cols) {
        cols = pickColumns(row.record, file, opts.columns);
        width = row.record.length;
        continue;
      }
      const extra = row.record.slice(width).filter((cell) => cell.trim() !== "").length;
      if (extra > 0) {
        // most often a text with commas that is not in quotes: its end would spill into other columns
        yield {
          kind: "problem",
          line,
          code: "wrong_type",
          field: `column ${width + 1}`,
          message: `has ${row.record.length} columns where the header has ${width}; put a text that contains commas in double quotes ("like, this"), doubling any quote inside it`,
        };
        continue;
      }
      const prompt = row.record[cols.prompt];
      const completion = row.record[cols.completion];
      if (cols.labels) {
        yield parseLabelledRow(prompt, completion, cols.labels, line);
        continue;
      }
      if (prompt === undefined || completion === undefined) {
        yield {
          kind: "problem",
          line,
          code: "missing_field",
          field: prompt === undefined ? "prompt" : "completion",
          message: "is missing (the row has fewer columns than the header)",
        };
        continue;
      }
      const system = cols.system >= 0 ? row.record[cols.system]?.trim() : undefined;
      const example: Example = {
        messages: [
          ...(system ? [{ role: "system" as const, content: system }] : []),
          { role: "user", content: prompt },
          { role: "assistant", content: completion },
        ],
      };
      const problem = checkConversation(example.messages);
      if (problem) {
        const field = problem.field.endsWith(`[${example.messages.length - 1}].content`)
          ? "completion"
          : "prompt";
        yield { kind: "problem", line, code: problem.code, field, message: problem.message };
      } else yield { kind: "example", line, example };
    }
  } catch (e) {
    if (e instanceof TailorError) throw e;
    const err = e as Error & { lines?: number; code?: string };
    throw new TailorError({
      code: "data_invalid",
      message: `${file}${err.lines ? `, line ${err.lines}` : ""}: ${err.message.replace(/^Invalid Record Length: /, "")} (check the quoting: a field with commas, quotes or line breaks must be in double quotes, with inner quotes doubled)`,
      details: { file, line: err.lines },
    });
  }
  if (!cols)
    throw new TailorError({
      code: "data_invalid",
      message: `${file} has no rows`,
      details: { file },
    });
}
