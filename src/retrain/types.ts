/**
 * What a retrain works with and what its plan holds before anything is stored. The plan is made
 * once (plan.ts), turned into dataset versions (dataset.ts) and a job (start.ts); the API's and the
 * CLI's view of it is RetrainResponse (protocol/api/retrain.ts).
 */
import type { ReviewItem } from "../../protocol/review.ts";
import type { JobServices } from "../jobs/index.ts";
import type { ModelNames } from "../models/names/index.ts";
import type { RegressionSet, ReviewQueue } from "../review/index.ts";

/** The stores a retrain reads and writes, handed in by the composition root. */
export interface RetrainServices extends JobServices {
  modelNames: ModelNames;
  review: ReviewQueue;
  regression: RegressionSet;
}

export interface RetrainOptions {
  /** Original examples to mix in (default max(2 x accepted items trained on, 20), capped). */
  sample?: number | undefined;
  /** Share of the accepted items held out for the gate (default 0.25). */
  heldOutShare?: number | undefined;
}

/** The current version's held-out examples, as the gate will read them. */
export type OriginalHeldOut =
  /** A dataset version whose examples are all held out (a job's validation file, frozen already). */
  | { kind: "dataset"; id: string; examples: number }
  /** A file to freeze as a dataset version first (a dataset's own split, or a job's automatic one). */
  | { kind: "file"; path: string; examples: number; what: string };

/** A retrain decided but not yet stored: which items, which original examples, which held-out set. */
export interface Plan {
  name: string;
  current: { version: number; model: string };
  /** The name and its versions' models: whose accepted reviews are used. */
  models: string[];
  /** The next version's number (what the new model will be, if the gate promotes it). */
  nextVersion: number;
  /** Accepted, unused review items: trained on, and held out for the gate. */
  train: ReviewItem[];
  heldOut: ReviewItem[];
  /** The original examples drawn (chat JSONL lines, as stored) and the dataset they came from. */
  sample: { dataset: string | null; lines: string[]; available: number };
  originalHeldOut: OriginalHeldOut | null;
  regressionExamples: number;
  /** The plan in words, and what would stop it (too few examples). */
  notes: string[];
  /** Why a job cannot be made from this plan (null: it can). */
  refusal: string | null;
}
