/**
 * The current version's own data: the examples its job trained on (to mix a sample of them into the
 * retrain, so old skills are kept) and the examples it held out (the gate's "original held-out" set).
 * Found through the model's manifest and its job; a base model has neither.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Conversation } from "../../protocol/index.ts";
import type { ReviewItem } from "../../protocol/review.ts";
import { DATASET_ID } from "../datasets/index.ts";
import { runDir } from "../jobs/index.ts";
import type { OriginalHeldOut, RetrainServices } from "./types.ts";

/** The seed every sample of original examples is drawn with (the same plan draws the same lines). */
export const SAMPLE_SEED = 42;

export interface OriginalData {
  /** The dataset version the current version was trained on (null: a base model, or it is gone). */
  dataset: string | null;
  /** Its training examples (chat JSONL lines as stored), less those held out. */
  pool: string[];
  heldOut: OriginalHeldOut | null;
  notes: string[];
}

const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "");

/** What the current version `model` was trained on and held out, as far as the stores still know. */
export function originalData(svc: RetrainServices, model: string): OriginalData {
  const manifest = svc.models.get(model)?.manifest;
  if (manifest?.kind !== "fine_tuned") {
    return {
      dataset: null,
      pool: [],
      heldOut: null,
      notes: [
        `${model} is a base model: there are no original examples to mix in, and no original held-out set to compare on`,
      ],
    };
  }
  const t = manifest.training;
  const job = t.job_id ? svc.jobs.find(t.job_id) : null;
  const named = job?.training_file ?? (DATASET_ID.test(t.train_file) ? t.train_file : null);
  const notes: string[] = [];
  const dataset = named && svc.datasets.find(named) ? named : null;
  if (!dataset)
    notes.push(
      `${model}'s training data (${named ?? t.train_file}) is no longer stored: none of it can be mixed in`,
    );
  const heldOut = originalHeldOut(svc, job, t.val_file);
  if (!heldOut)
    notes.push(
      `${model} was trained without held-out examples: the gate has no original held-out set, so it cannot check that old answers stay as good`,
    );
  const held = new Set(heldOut?.kind === "file" ? lines(readFileSync(heldOut.path, "utf8")) : []);
  const pool = dataset ? lines(svc.datasets.cat(dataset, "train")).filter((l) => !held.has(l)) : [];
  return { dataset, pool, heldOut, notes };
}

/** The job's validation data: its file (a dataset), its dataset's own split, or its automatic split. */
function originalHeldOut(
  svc: RetrainServices,
  job: ReturnType<RetrainServices["jobs"]["find"]>,
  valFile: string | undefined,
): OriginalHeldOut | null {
  if (!job) {
    const ds = valFile && DATASET_ID.test(valFile) ? svc.datasets.find(valFile) : null;
    return ds ? { kind: "dataset", id: ds.id, examples: ds.train_examples } : null;
  }
  switch (job.spec.validation.source) {
    case "file": {
      const ds = job.validation_file ? svc.datasets.find(job.validation_file) : null;
      return ds ? { kind: "dataset", id: ds.id, examples: ds.train_examples } : null;
    }
    case "dataset_split": {
      const ds = svc.datasets.find(job.training_file);
      const path = ds ? svc.datasets.files(ds.id).val : null;
      return ds && path && existsSync(path)
        ? {
            kind: "file",
            path,
            examples: ds.val_examples,
            what: `the examples held out in ${ds.id}`,
          }
        : null;
    }
    case "auto_split": {
      // written once into the run's folder by the job (src/jobs/recipe/prepare.ts)
      const path = join(runDir(svc.home, job.id), "val.jsonl");
      if (!existsSync(path)) return null;
      const n = lines(readFileSync(path, "utf8")).length;
      return { kind: "file", path, examples: n, what: `the ${n} examples ${job.id} held out` };
    }
    case "none":
      return null;
  }
}

/**
 * The examples of `pool` that no accepted item asks again: an item's correction replaces the old
 * answer, and keeping both would teach both.
 */
export function usablePool(pool: string[], items: ReviewItem[]): string[] {
  const asked = new Set(items.map((i) => promptKey(i.question)));
  return pool.filter((l) => !asked.has(linePromptKey(l)));
}

/** `n` lines of `pool` (all of them when it has fewer), drawn with a fixed seed. */
export function drawSample(pool: string[], n: number): string[] {
  return shuffled(pool.length, SAMPLE_SEED)
    .slice(0, Math.min(n, pool.length))
    .map((i) => pool[i] as string);
}

const promptKey = (messages: { role: string; content: string }[]) =>
  JSON.stringify(messages.map((m) => [m.role, m.content.trim()]));

/** The conversation before a line's last answer, as `promptKey` writes a question. */
function linePromptKey(line: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return "";
  }
  const c = Conversation.safeParse(parsed);
  if (!c.success) return "";
  const m = c.data.messages;
  const end = m.at(-1)?.role === "assistant" ? m.length - 1 : m.length;
  return promptKey(m.slice(0, end));
}

/** 0..n-1 in an order fixed by `seed` (mulberry32 + Fisher-Yates, as a job's automatic split). */
function shuffled(n: number, seed: number): number[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}
