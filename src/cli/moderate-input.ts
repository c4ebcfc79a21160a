/**
 * What `tailor moderate` checks: one text, or a file's texts, each with where it came from. A .jsonl
 * line gives its `text`, or each message of its `messages` (a chat example: every turn checked, the
 * role kept); .txt, .csv, .tsv and stdin read as `tailor classify` reads them.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import { z } from "zod";
import { TailorError } from "../errors/index.ts";
import { textsToClassify } from "./classify-input.ts";

export interface TextToModerate {
  text: string;
  /** The file's line (absent for a text given on the command line). */
  line?: number;
  /** Within a chat line: which message, e.g. "messages[2] (assistant)". */
  where?: string;
}

const Part = z.object({ type: z.string(), text: z.string().optional() }).loose();
const Message = z
  .object({
    role: z.string(),
    content: z.union([z.string(), z.array(Part), z.null()]).optional(),
  })
  .loose();
const Line = z
  .object({ text: z.string().optional(), messages: z.array(Message).optional() })
  .loose();

export function textsToModerate(arg: string): { texts: TextToModerate[]; file: string | null } {
  const isFile = arg !== "-" && existsSync(arg) && statSync(arg).isFile();
  if (!isFile || extname(arg).toLowerCase() !== ".jsonl") return textsToClassify(arg);
  const texts: TextToModerate[] = [];
  readUtf8(arg)
    .split(/\r?\n/)
    .forEach((raw, i) => {
      if (raw.trim() === "") return;
      const line = i + 1;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (e) {
        throw bad(arg, line, `the line is not JSON (${(e as Error).message})`);
      }
      const parsed = Line.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw bad(arg, line, `field ${issue?.path.join(".")}: ${issue?.message}`);
      }
      const { text, messages } = parsed.data;
      if (text === undefined && messages === undefined) {
        throw bad(arg, line, 'the line has neither a "text" string nor a "messages" list');
      }
      if (text !== undefined) {
        if (text.trim() !== "") texts.push({ text, line });
        return;
      }
      messages?.forEach((m, k) => {
        const content =
          typeof m.content === "string"
            ? m.content
            : Array.isArray(m.content)
              ? m.content.map((p) => p.text ?? "").join("\n")
              : "";
        if (content.trim() !== "") {
          texts.push({ text: content, line, where: `messages[${k}] (${m.role})` });
        }
      });
    });
  if (texts.length === 0) {
    throw new TailorError({
      code: "data_invalid",
      message: `${arg} has no texts to moderate`,
      details: { file: arg },
    });
  }
  return { texts, file: arg };
}

function readUtf8(file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true })
      .decode(readFileSync(file))
      .replace(/^\uFEFF/, "");
  } catch {
    throw new TailorError({
      code: "data_invalid",
      message: `${file} is not valid UTF-8; save it as UTF-8`,
      details: { file },
    });
  }
}

function bad(file: string, line: number, what: string): TailorError {
  return new TailorError({
    code: "data_invalid",
    message: `${file}:${line}: ${what}`,
    details: { file, line },
  });
}
