import { TailorError } from "../errors/index.ts";
import { type Example, readRecords } from "./read/index.ts";

/**
 * All examples of a file for training, or a clear error listing its bad lines (file, line, field):
 * nothing half-valid is trained on. `tailor data check` gives the full report.
 */
export async function loadExamples(
  file: string,
  opts: { columns?: string } = {},
): Promise<Example[]> {
  const examples: Example[] = [];
  const problems: string[] = [];
  let count = 0;
  for await (const rec of readRecords(file, opts)) {
    if (rec.kind === "example") examples.push(rec.example);
    else {
      count++;
      if (problems.length < 5)
        problems.push(
          `  ${file}:${rec.line}${rec.field ? ` field ${rec.field}` : ""}: ${rec.message}`,
        );
    }
  }
  if (count > 0) {
    throw new TailorError({
      code: "data_invalid",
      message: `${count} problem${count === 1 ? "" : "s"} in ${file}:\n${problems.join("\n")}${count > 5 ? `\n  ... and ${count - 5} more` : ""}\nFix these lines and run again (\`tailor data check ${file}\` shows everything).`,
      details: { file },
    });
  }
  if (examples.length === 0) {
    throw new TailorError({
      code: "data_invalid",
      message: `${file} has no examples; add one JSON object per line, e.g. {"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}`,
      details: { file },
    });
  }
  return examples;
}

/** Chat JSONL as the engine reads it: one conversation per line, with its tools. */
export function toChatJsonl(examples: Example[]): string {
  return `${examples.map((e) => JSON.stringify(e)).join("\n")}\n`;
}
