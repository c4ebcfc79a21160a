/**
 * The labelled moderation sets (src/safety/moderation/data/*.jsonl): one JSON object per line with
 * the text and the categories it belongs to (none: an ordinary text). A subcategory implies its
 * parent ("harassment/threatening" is also "harassment"). Read for training (train.jsonl) and for
 * measuring (heldout.jsonl, ordinary.jsonl), never both from one file.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import {
  groupOf,
  MODERATION_CATEGORIES,
  ModerationCategory,
  type ModerationGroup,
} from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";

export const DATA_DIR = fileURLToPath(new URL("./data/", import.meta.url));

/** Categories as a list, or as OpenAI's object of booleans. */
const Categories = z.union([
  z.array(ModerationCategory),
  z.partialRecord(ModerationCategory, z.boolean()),
]);

const Line = z
  .object({
    text: z.string().min(1),
    categories: Categories.optional(),
    labels: Categories.optional(),
    /** ordinary.jsonl: where such a text is written (e.g. support, school, clinic). */
    domain: z.string().optional(),
  })
  .loose();

export interface LabelledText {
  line: number;
  text: string;
  /** The categories with their parents added. */
  categories: Set<ModerationCategory>;
  domain: string | undefined;
}

export function parseLabelled(text: string, file: string): LabelledText[] {
  const out: LabelledText[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === "" || raw.startsWith("//")) continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      throw new TailorError({
        code: "data_invalid",
        message: `${file}:${i + 1}: not JSON (${(e as Error).message})`,
        details: { file, line: i + 1 },
      });
    }
    const parsed = Line.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TailorError({
        code: "data_invalid",
        message: `${file}:${i + 1}: ${issue?.path.join(".") || "line"}: ${issue?.message}`,
        details: { file, line: i + 1, field: issue?.path.join(".") },
      });
    }
    const given = parsed.data.categories ?? parsed.data.labels ?? [];
    const list = Array.isArray(given)
      ? given
      : (Object.entries(given) as [ModerationCategory, boolean][])
          .filter(([, on]) => on)
          .map(([c]) => c);
    const categories = new Set<ModerationCategory>();
    for (const c of list) {
      categories.add(c);
      categories.add(groupOf(c));
    }
    out.push({ line: i + 1, text: parsed.data.text, categories, domain: parsed.data.domain });
  }
  return out;
}

export function readLabelled(path: string): LabelledText[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new TailorError({
      code: "file_not_found",
      message: `${path}: cannot read it (${(e as Error).message})`,
      cause: e,
      details: { file: path },
    });
  }
  return parseLabelled(text, path);
}

/** Whether a text belongs to a group (any of its categories). */
export const inGroup = (t: LabelledText, g: ModerationGroup): boolean =>
  MODERATION_CATEGORIES.some((c) => groupOf(c) === g && t.categories.has(c));
