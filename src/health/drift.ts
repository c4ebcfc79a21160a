/**
 * Drift: questions unlike anything a model was trained on. The training questions (the last user
 * message of each training example) are embedded with the built-in embedding model
 * (all-MiniLM-L6-v2, through the engine: an `Embedder` port, as src/knowledge takes one); a
 * question's drift is its cosine distance to the nearest training question. The threshold is the
 * 95th percentile of that distance for the held-out examples (the job's validation data), or, when
 * the model had none, a leave-one-out estimate on the training questions themselves (each one's
 * distance to its nearest other). A question is unfamiliar when its drift is above the threshold.
 *
 * The vectors and the threshold are cached per model in TAILOR_HOME/cache/drift/<model>.json, made
 * again when the questions change (a fingerprint of them and of the embedding model).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DEFAULT_EMBEDDING_MODEL, type Embedder } from "../knowledge/index.ts";
import type { TrainingSource } from "./training.ts";

export const DRIFT_PERCENTILE = 0.95;
/** Fewer held-out questions than this give no threshold worth the name: leave-one-out instead. */
export const MIN_HELD_OUT = 5;
/** At most this many training questions are embedded (evenly spaced through the data). */
export const MAX_TRAIN_QUESTIONS = 10_000;
/** At most this many questions measure the threshold. */
const MAX_CALIBRATION = 1000;
const BATCH = 64;

export const DriftBasis = z.object({
  threshold: z.number(),
  /** What the threshold was measured on. */
  basis: z.enum(["held_out", "leave_one_out"]),
  /** How many questions measured it. */
  calibration: z.number().int(),
  train_questions: z.number().int(),
  source: z.string(),
});
export type DriftBasis = z.infer<typeof DriftBasis>;

const CacheFile = z.object({
  version: z.literal(1),
  model: z.string(),
  embedding_model: z.string(),
  fingerprint: z.string(),
  basis: DriftBasis,
  vectors: z.array(z.array(z.number())),
});

/** A model's training questions as vectors, and its threshold. */
export class DriftIndex {
  constructor(
    readonly basis: DriftBasis,
    private readonly vectors: Float32Array[],
  ) {}

  /** Cosine distance from `v` to the nearest training question (skipping index `skip`). */
  nearest(v: Float32Array, skip = -1): number {
    let best = -1;
    for (let i = 0; i < this.vectors.length; i++) {
      if (i === skip) continue;
      const dot = dotProduct(v, this.vectors[i] as Float32Array);
      if (dot > best) best = dot;
    }
    return 1 - best;
  }

  isUnfamiliar(distance: number): boolean {
    return distance > this.basis.threshold;
  }
}

export class DriftIndexes {
  constructor(
    private readonly deps: { home: string; embedder: Embedder; training: TrainingSource },
  ) {}

  /** The model's index (cached; built on first use), or null when it has no training questions. */
  async index(model: string, signal?: AbortSignal): Promise<DriftIndex | null> {
    const q = this.deps.training.questions(model);
    const train = unique(q?.train ?? []);
    if (!q || train.length < 2) return null;
    const kept = spaced(train, MAX_TRAIN_QUESTIONS);
    const heldOut = q.heldOut && q.heldOut.length >= MIN_HELD_OUT ? q.heldOut : null;
    const fingerprint = createHash("sha256")
      .update(JSON.stringify([DEFAULT_EMBEDDING_MODEL, kept, heldOut]))
      .digest("hex");
    const file = join(this.deps.home, "cache", "drift", `${model.replaceAll(/[:/\\]/g, "_")}.json`);
    const cached = readCache(file, model, fingerprint);
    if (cached) return cached;

    const vectors = await this.embed(kept, signal);
    const index = new DriftIndex(
      {
        threshold: 0,
        basis: "leave_one_out",
        calibration: 0,
        train_questions: kept.length,
        source: q.source,
      },
      vectors,
    );
    const distances = heldOut
      ? (await this.embed(spaced(heldOut, MAX_CALIBRATION), signal)).map((v) => index.nearest(v))
      : spacedIndexes(kept.length, MAX_CALIBRATION).map((i) =>
          index.nearest(vectors[i] as Float32Array, i),
        );
    const basis: DriftBasis = {
      threshold: round(percentile(distances, DRIFT_PERCENTILE)),
      basis: heldOut ? "held_out" : "leave_one_out",
      calibration: distances.length,
      train_questions: kept.length,
      source: q.source,
    };
    writeCache(file, {
      version: 1,
      model,
      embedding_model: DEFAULT_EMBEDDING_MODEL,
      fingerprint,
      basis,
      vectors: vectors.map((v) => Array.from(v, round)),
    });
    return new DriftIndex(basis, vectors);
  }

  /** Unit vectors of `texts` from the built-in embedding model, in batches. */
  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += BATCH) {
      const { data } = await this.deps.embedder.embed(texts.slice(i, i + BATCH), { signal });
      out.push(...data.map(unit));
    }
    return out;
  }
}

function readCache(file: string, model: string, fingerprint: string): DriftIndex | null {
  if (!existsSync(file)) return null;
  try {
    const c = CacheFile.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (!c.success || c.data.model !== model || c.data.fingerprint !== fingerprint) return null;
    return new DriftIndex(c.data.basis, c.data.vectors.map(unit));
  } catch {
    return null; // unreadable: made again
  }
}

function writeCache(file: string, content: z.infer<typeof CacheFile>): void {
  mkdirSync(join(file, ".."), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(content));
  renameSync(tmp, file);
}

export function dotProduct(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

export function unit(v: readonly number[]): Float32Array {
  const out = Float32Array.from(v);
  const norm = Math.sqrt(dotProduct(out, out)) || 1;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / norm;
  return out;
}

/** The p-th quantile (0-1) of `xs`, interpolated linearly between the nearest ranks. */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] as number;
  return a + ((sorted[hi] as number) - a) * (pos - lo);
}

function unique(xs: string[]): string[] {
  return [...new Set(xs.map((x) => x.trim()))].filter(Boolean);
}

/** At most `max` indexes of 0..n-1, evenly spaced. */
function spacedIndexes(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.floor((i * n) / max));
}

function spaced<T>(xs: T[], max: number): T[] {
  return spacedIndexes(xs.length, max).map((i) => xs[i] as T);
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
