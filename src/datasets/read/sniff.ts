import { closeSync, openSync, readSync, statSync } from "node:fs";
import { TailorError } from "../../errors/index.ts";

export type FileFormat = "jsonl" | "csv" | "tsv";

/**
 * Looks at the start of a file and refuses what cannot be examples (binary files, UTF-16/32,
 * folders, empty files) with a message that names the problem. Returns the format to read it as.
 */
export function sniffFile(file: string): FileFormat {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) {
      throw new TailorError({
        code: "invalid_argument",
        message: `${file} is a folder; pass a .jsonl or .csv file`,
        details: { file },
      });
    }
    size = st.size;
  } catch (e) {
    if (e instanceof TailorError) throw e;
    throw new TailorError({
      code: "file_not_found",
      message: `data file ${file} does not exist; check the path`,
      details: { file },
    });
  }
  if (size === 0) {
    throw new TailorError({
      code: "data_invalid",
      message: `${file} is empty; it needs one example per line`,
      details: { file },
    });
  }
  const head = Buffer.alloc(Math.min(size, 8192));
  const fd = openSync(file, "r");
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new TailorError({
      code: "data_invalid",
      message: `${file} is UTF-16 encoded; save it as UTF-8 (in most editors: "Save as" > Encoding > UTF-8)`,
      details: { file },
    });
  }
  if (head.includes(0)) {
    throw new TailorError({
      code: "data_invalid",
      message: `${file} looks like a binary file (it contains NUL bytes), not text; export your examples as JSONL or CSV`,
      details: { file },
    });
  }
  const lower = file.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".tsv") || lower.endsWith(".tab")) return "tsv";
  return "jsonl";
}
