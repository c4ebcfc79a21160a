/**
 * The moderation head: one logistic-regression probe per category on frozen all-MiniLM-L6-v2
 * sentence embeddings, with each category's threshold, as `model/head.json` stores it (trained by
 * scripts/train-moderation.ts). Scores are reported shifted by the category's threshold, so that
 * 0.5 is where the category is flagged for every category: a policy's or the CLI's threshold above
 * 0.5 is stricter than the model's own, below it looser.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import {
  type CategoryFlags,
  type CategoryScores,
  MODERATION_CATEGORIES,
  type ModerationCategory,
  type ModerationResult,
} from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";
import { type LinearHead, logit, logOdds, sigmoid } from "./logistic.ts";

export const MODERATION_MODEL = "tailor-moderation";
/** Names the API accepts for the moderation model (OpenAI's, and Tailor's own). */
export const MODERATION_MODEL_ALIASES = [
  MODERATION_MODEL,
  "omni-moderation-latest",
  "text-moderation-latest",
] as const;
export const HEAD_FILE = fileURLToPath(new URL("./model/head.json", import.meta.url));
export const MODEL_CARD_FILE = fileURLToPath(new URL("./model/MODEL_CARD.md", import.meta.url));
export const HEAD_FORMAT = "tailor-moderation-head/1";

const CategoryHead = z.object({
  /** Float32 little-endian weights, base64. */
  weights: z.string(),
  bias: z.number(),
  /** The probe's probability at which the category is flagged (chosen on the training set). */
  threshold: z.number().gt(0).lt(1),
  l2: z.number().optional(),
  /** Training examples labelled with the category (directly or through a subcategory). */
  positives: z.number().int(),
  /** Out-of-fold precision and recall at the threshold, on the training set. */
  cv: z.object({ precision: z.number(), recall: z.number() }),
});

export const HeadFile = z.object({
  format: z.literal(HEAD_FORMAT),
  model: z.string(),
  embedding_model: z.string(),
  dimensions: z.number().int().positive(),
  trained_at: z.string(),
  data: z.object({ file: z.string(), sha256: z.string(), examples: z.number().int() }),
  training: z.record(z.string(), z.unknown()),
  /** How a long text is cut into windows (words per window, words shared by neighbours). */
  window: z.object({ words: z.number().int().positive(), overlap: z.number().int().min(0) }),
  categories: z.object(
    Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, CategoryHead])) as Record<
      ModerationCategory,
      typeof CategoryHead
    >,
  ),
});
export type HeadFile = z.infer<typeof HeadFile>;

/** A head ready to score: the decoded weights of each category. */
export interface Head {
  file: HeadFile;
  probes: Record<ModerationCategory, LinearHead & { threshold: number }>;
}

export function encodeWeights(w: ArrayLike<number>): string {
  return Buffer.from(Float32Array.from(w).buffer).toString("base64");
}

export function decodeWeights(s: string, dimensions: number): Float64Array {
  const bytes = Buffer.from(s, "base64");
  if (bytes.length !== dimensions * 4) {
    throw new TailorError({
      code: "model_corrupt",
      message: `the moderation head's weights have ${bytes.length / 4} numbers, not ${dimensions}; retrain it with npm run train:moderation`,
    });
  }
  const out = new Float64Array(dimensions);
  for (let i = 0; i < dimensions; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

export function parseHead(json: unknown, where = HEAD_FILE): Head {
  const parsed = HeadFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TailorError({
      code: "model_corrupt",
      message: `${where}: ${issue?.path.join(".") || "the file"}: ${issue?.message}; retrain it with npm run train:moderation`,
      details: { file: where },
    });
  }
  const file = parsed.data;
  const probes = Object.fromEntries(
    MODERATION_CATEGORIES.map((c) => {
      const h = file.categories[c];
      return [
        c,
        {
          weights: decodeWeights(h.weights, file.dimensions),
          bias: h.bias,
          threshold: h.threshold,
        },
      ];
    }),
  ) as Head["probes"];
  return { file, probes };
}

export function readHead(path = HEAD_FILE): Head {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new TailorError({
      code: "model_not_found",
      message: `the moderation model's head ${path} is missing; train it with npm run train:moderation`,
      cause: e,
      details: { file: path },
    });
  }
  return parseHead(JSON.parse(text) as unknown, path);
}

/** Every category's score for one embedding, shifted so that 0.5 is the category's threshold. */
export function scoreEmbedding(head: Head, x: ArrayLike<number>): CategoryScores {
  const out = {} as CategoryScores;
  for (const c of MODERATION_CATEGORIES) {
    const p = head.probes[c];
    out[c] = sigmoid(logOdds(p, x) - logit(p.threshold));
  }
  return out;
}

/** Each category's highest score over a text's windows, and a parent at least its subcategories. */
export function combineWindows(windows: CategoryScores[]): CategoryScores {
  const out = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, 0])) as CategoryScores;
  for (const w of windows) for (const c of MODERATION_CATEGORIES) out[c] = Math.max(out[c], w[c]);
  for (const c of MODERATION_CATEGORIES) {
    const slash = c.indexOf("/");
    if (slash > 0) {
      const parent = c.slice(0, slash) as ModerationCategory;
      out[parent] = Math.max(out[parent], out[c]);
    }
  }
  return out;
}

/** OpenAI's result for scores: a category is flagged at `threshold` (0.5: the model's own). */
export function toResult(scores: CategoryScores, threshold = 0.5): ModerationResult {
  const rounded = {} as CategoryScores;
  const categories = {} as CategoryFlags;
  let flagged = false;
  for (const c of MODERATION_CATEGORIES) {
    rounded[c] = Number(scores[c].toPrecision(6));
    categories[c] = rounded[c] >= threshold;
    flagged ||= categories[c];
  }
  return { flagged, categories, category_scores: rounded };
}
