/**
 * The general-ability set that ships with Tailor (./general.jsonl, described in ./README.md): short
 * questions of arithmetic, facts, following a format and refusing harm, each with its checker. Read
 * and checked once; its version is its content, so a changed file never reuses old cached answers.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { TailorError } from "../../errors/index.ts";
import { Check } from "./checkers.ts";

export const GENERAL_SET_FILE = fileURLToPath(new URL("./general.jsonl", import.meta.url));
/** The set's name and version as reports show it; bump the version when the questions change. */
export const GENERAL_SET_NAME = "tailor-general v1";
/** Answers are short: enough for a sentence or a small JSON object. */
export const GENERAL_MAX_TOKENS = 32;

export const GeneralItem = z.object({
  id: z.string().regex(/^[a-z]+-\d{2}$/),
  category: z.enum(["arithmetic", "facts", "format", "refusal"]),
  prompt: z.string().min(1),
  check: Check,
});
export type GeneralItem = z.infer<typeof GeneralItem>;

export interface GeneralSet {
  name: string;
  /** sha256 of the file: part of the cache key of the base's answers. */
  sha256: string;
  items: GeneralItem[];
}

/** The items of a set file, each line checked (a bad line or pattern is an error naming it). */
export function parseGeneralSet(text: string, file: string, name = GENERAL_SET_NAME): GeneralSet {
  const items: GeneralItem[] = [];
  const ids = new Set<string>();
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw invalid(where, `not JSON (${(e as Error).message})`);
    }
    const parsed = GeneralItem.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalid(where, `${issue?.path.join(".") || "the line"}: ${issue?.message}`);
    }
    const item = parsed.data;
    if (ids.has(item.id)) throw invalid(where, `the id ${item.id} is used twice`);
    ids.add(item.id);
    if (item.check.type === "regex") {
      try {
        new RegExp(item.check.pattern, item.check.flags ?? "");
      } catch (e) {
        throw invalid(where, `check.pattern is not a regular expression (${(e as Error).message})`);
      }
    }
    items.push(item);
  });
  if (items.length === 0) throw invalid(file, "it has no questions");
  return { name, sha256: createHash("sha256").update(text).digest("hex"), items };
}

function invalid(where: string, what: string): TailorError {
  return new TailorError({
    code: "data_invalid",
    message: `general set ${where}: ${what}; each line is {"id", "category", "prompt", "check"} (see src/evals/forgetting/README.md)`,
  });
}

let shipped: GeneralSet | null = null;

/**
 * The set a test asks: the one that ships with Tailor, or your own when TAILOR_GENERAL_SET names a
 * JSONL file of the same format (questions your models must keep answering; "on" and "off" are not
 * files: off skips the set, on asks the shipped one).
 */
export function generalSet(env: NodeJS.ProcessEnv = process.env): GeneralSet {
  const own = env.TAILOR_GENERAL_SET;
  if (own && own !== "on" && own !== "off") return ownSet(own);
  shipped ??= parseGeneralSet(readFileSync(GENERAL_SET_FILE, "utf8"), GENERAL_SET_FILE);
  return shipped;
}

function ownSet(file: string): GeneralSet {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new TailorError({
      code: "data_invalid",
      message: `TAILOR_GENERAL_SET=${file}: the general set cannot be read (${(e as Error).message}); name a JSONL file of general questions, or set it to on (Tailor's set) or off (none)`,
    });
  }
  return parseGeneralSet(text, file, `${basename(file)} (TAILOR_GENERAL_SET)`);
}
