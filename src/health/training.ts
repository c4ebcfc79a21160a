/**
 * The questions a fine-tuned model was trained on, and the ones held out from its training: the
 * last user message of each example of the job's training data, and of its validation data as the
 * job used it (a validation file, the dataset's own held-out split, or the automatic hold-out the
 * job wrote into its run folder). Base models have none.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DATASET_ID, type DatasetStore } from "../datasets/index.ts";
import { type JobStore, runDir } from "../jobs/index.ts";
import type { ModelRegistry } from "../models/index.ts";
import { contentText } from "./usage.ts";

export interface TrainingQuestions {
  /** The last user message of each training example. */
  train: string[];
  /** Of each held-out example (validation), or null when the model had none. */
  heldOut: string[] | null;
  /** Where they came from, in words ("dataset ds-…, validation: 39 held-out examples"). */
  source: string;
}

/** Where a report finds a model's training questions (null: none, as for a base model). */
export interface TrainingSource {
  questions(model: string): TrainingQuestions | null;
}

/** One line of a stored chat JSONL file, as far as the question goes. */
const Line = z.object({
  messages: z.array(z.object({ role: z.string(), content: z.unknown().optional() })),
});

/** The last user message of each line of a chat JSONL file (lines without one are skipped). */
export function questionsIn(path: string): string[] {
  if (!existsSync(path)) return [];
  const out: string[] = [];
  for (const raw of readFileSync(path, "utf8").split("\n")) {
    if (!raw.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      continue;
    }
    const line = Line.safeParse(json);
    if (!line.success) continue;
    const user = line.data.messages.findLast((m) => m.role === "user");
    const text = user ? contentText(user.content) : "";
    if (text.trim()) out.push(text);
  }
  return out;
}

/** The training data of models made by jobs, read from the registry, the jobs and the datasets. */
export class StoredTraining implements TrainingSource {
  constructor(
    private readonly deps: {
      home: string;
      models: ModelRegistry;
      jobs: JobStore;
      datasets: DatasetStore;
    },
  ) {}

  questions(model: string): TrainingQuestions | null {
    const m = this.deps.models.get(model)?.manifest;
    if (m?.kind !== "fine_tuned") return null;
    const { datasets } = this.deps;
    const job = m.training.job_id ? this.deps.jobs.find(m.training.job_id) : null;
    const trainId = job?.training_file ?? m.training.train_file;
    if (!datasets.find(trainId)) return null;
    const files = datasets.files(trainId);
    const plan = job?.spec.validation.source;
    if (job && plan === "auto_split") {
      const run = runDir(this.deps.home, job.id);
      const [train, val] = [join(run, "train.jsonl"), join(run, "val.jsonl")];
      if (existsSync(train) && existsSync(val))
        return found(questionsIn(train), questionsIn(val), `${trainId} (its automatic hold-out)`);
      return found(questionsIn(files.train), null, `${trainId} (its hold-out is gone)`);
    }
    if (plan === "none") return found(questionsIn(files.train), null, trainId);
    const valId = job ? job.validation_file : (m.training.val_file ?? null);
    if (valId && DATASET_ID.test(valId) && datasets.find(valId))
      return found(questionsIn(files.train), questionsIn(datasets.files(valId).train), trainId);
    return found(questionsIn(files.train), files.val ? questionsIn(files.val) : null, trainId);
  }
}

function found(train: string[], heldOut: string[] | null, source: string): TrainingQuestions {
  return {
    train,
    heldOut: heldOut?.length ? heldOut : null,
    source: `dataset ${source}`,
  };
}
