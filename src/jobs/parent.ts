/**
 * Continuing from a fine-tuned model: a job whose `base` names a fine-tuned model trains that model's
 * adapter further on new examples (the engine's `init_adapter_dir`). The new model runs on the
 * parent's base, keeps the parent's LoRA shape (the adapter's size is fixed), and names the parent in
 * its lineage. Here: what such a start is, the refusals, and the job's plan adjusted to it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { ModelSource } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import { type ModelManifest, type ModelRegistry, parseCheckpointRef } from "../models/index.ts";
import type { Hyperparameters } from "../training/index.ts";
import type { JobServices } from "./services.ts";
import type { ParentModel, TrainingMethod } from "./types.ts";

type FineTunedManifest = Extract<ModelManifest, { kind: "fine_tuned" }>;

/** A fine-tuned model a job continues from, as the job's plan needs it. */
export interface Parent {
  /** What the job and the new model's manifest record. */
  ref: ParentModel;
  /** The parent's base: the new model's too. */
  base: { name: string; source: ModelSource };
  /** The parent adapter's shape, which the new model keeps. */
  loraRank: number;
  loraAlpha: number;
  /** The data the parent was trained on (a dataset version id), and how many examples. */
  trainedOn: string;
  examples: number;
}

/** Where a job's training starts: a base model alone, or a fine-tuned model's adapter on its base. */
export interface TrainingStart {
  base: { name: string; source: ModelSource };
  parent: Parent | null;
}

const AdapterConfig = z.object({ r: z.number().int().positive(), lora_alpha: z.number() });

/**
 * What `ref` (a job's `--base` or the API's `model`) starts from. A fine-tuned model is continued
 * from; a checkpoint, a text classifier (or a classifier job on a model that writes answers), and a
 * model whose adapter is missing are refused with what to do instead. Anything else is a base model
 * as `ModelRegistry.resolveBase` knows it.
 */
export function trainingStart(
  models: ModelRegistry,
  ref: string,
  method: TrainingMethod | undefined = undefined,
): TrainingStart {
  const entry = models.get(ref);
  const manifest = entry?.manifest;
  if (manifest?.kind !== "fine_tuned") {
    if (!entry && parseCheckpointRef(ref)) {
      throw new TailorError({
        code: "invalid_argument",
        message: `${ref} is a checkpoint; training continues from a finished fine-tuned model, not from a checkpoint. Use the model its job made (\`tailor models list\`), or its base model with all the examples.`,
        details: { field: "model" },
      });
    }
    return { base: models.resolveBase(ref), parent: null };
  }
  if (manifest.method === "classify") {
    throw new TailorError({
      code: "invalid_argument",
      message: `${ref} is a text classifier; continuing training is for models that write answers. Train a new classifier on all your labelled examples instead (\`tailor train --task classify\`).`,
      details: { field: "model" },
    });
  }
  if (method === "classify") {
    throw new TailorError({
      code: "invalid_argument",
      message: `${ref} is a fine-tuned model that writes answers; a classifier is trained from an encoder base model, not continued from it. Leave out --task classify to continue ${ref}, or pick an encoder base.`,
      details: { field: "model" },
    });
  }
  const folder = models.modelDir(ref);
  const missing = ["adapter_config.json", "adapter_model.safetensors"].find(
    (f) => !existsSync(join(folder, f)),
  );
  if (missing) {
    throw new TailorError({
      code: "model_corrupt",
      message: `${ref} cannot be continued from: its folder ${folder} has no ${missing} (the adapter training would start from). Train it again, or continue from another model.`,
      details: { field: "model", file: join(folder, missing) },
    });
  }
  const shape = adapterShape(folder);
  const t = manifest.training;
  return {
    base: manifest.base,
    parent: {
      ref: { name: manifest.name, ...(t.job_id ? { job_id: t.job_id } : {}) },
      base: manifest.base,
      loraRank: shape?.r ?? t.lora_rank,
      loraAlpha: shape?.lora_alpha ?? t.lora_alpha,
      trainedOn: t.train_file,
      examples: t.train_examples,
    },
  };
}

/** The adapter's rank and alpha as PEFT saved them (what training will really load). */
function adapterShape(folder: string): z.infer<typeof AdapterConfig> | null {
  try {
    const parsed = AdapterConfig.safeParse(
      JSON.parse(readFileSync(join(folder, "adapter_config.json"), "utf8")),
    );
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // the engine says what is wrong with it when it loads it
  }
}

/**
 * The resolved hyperparameters of a job that continues from `parent`: the parent's LoRA rank and
 * alpha, and a first line that says where training starts. A requested rank that differs is refused.
 */
export function inheritAdapter(
  hp: Hyperparameters,
  parent: Parent | null,
  requestedRank: number | undefined,
): Hyperparameters {
  if (!parent) return hp;
  const { name } = parent.ref;
  if (requestedRank !== undefined && requestedRank !== parent.loraRank) {
    throw new TailorError({
      code: "invalid_argument",
      message: `LoRA rank ${requestedRank} was asked for, but ${name}'s adapter has rank ${parent.loraRank}, and training continues from that adapter, whose size is fixed. Leave the LoRA rank out (or set it to ${parent.loraRank}), or train from its base model ${parent.base.name} to choose another.`,
      details: { field: "lora_rank" },
    });
  }
  const rankLine = `LoRA rank: ${parent.loraRank} (from ${name}: training continues from its adapter, whose size is fixed)`;
  return {
    ...hp,
    loraRank: parent.loraRank,
    loraAlpha: parent.loraAlpha,
    explanations: [
      `continues from ${name} (trained on ${parent.trainedOn}, ${parent.examples} examples): its adapter on ${parent.base.name} is where training starts`,
      ...hp.explanations.map((l) => (l.startsWith("LoRA rank:") ? rankLine : l)),
    ],
  };
}

/**
 * The default name of a model that continues `parent`: the next version (`emails` -> `emails-v2`,
 * `emails-v2` -> `emails-v3`), the first one free; else one made from the job id.
 */
export function childName(parent: string, jobId: string, taken: (name: string) => boolean): string {
  const m = /^(.*)-v(\d+)$/.exec(parent);
  const stem = (m?.[1] ?? parent).slice(0, 116);
  const first = m ? Number(m[2]) + 1 : 2;
  for (let v = first; v < first + 100; v++) {
    const name = `${stem}-v${v}`;
    if (!taken(name)) return name;
  }
  return `${stem}-ft-${jobId.slice(6, 14)}`;
}

/** A model's parent as it stands now: still here or deleted, and the data it was trained on. */
export interface ParentLineage {
  name: string;
  job_id: string | null;
  /** Deleted (or replaced by a later model of the same name): the child still works on its own. */
  deleted: boolean;
  /** The parent's training data (a dataset version id) and examples, from its manifest or its job. */
  trainedOn: string | null;
  examples: number | null;
}

/** What the stores still know of `parent` (the child's adapter is its own: nothing needs it). */
export function parentLineage(
  svc: Pick<JobServices, "models" | "jobs">,
  parent: ParentModel,
): ParentLineage {
  let m: FineTunedManifest | null = null;
  try {
    const found = svc.models.get(parent.name)?.manifest;
    if (found?.kind === "fine_tuned") m = found;
  } catch {
    m = null; // a broken folder counts as gone
  }
  const job_id = parent.job_id ?? null;
  const same = m && (!job_id || !m.training.job_id || m.training.job_id === job_id) ? m : null;
  const job = job_id ? svc.jobs.find(job_id) : null;
  return {
    name: parent.name,
    job_id,
    deleted: !same,
    trainedOn: same?.training.train_file ?? job?.training_file ?? null,
    examples: same?.training.train_examples ?? job?.spec.train_examples ?? null,
  };
}

/** One line a reader sees: `emails (trained on ds-…, 40 examples)`, or with `(deleted)`. */
export function describeParent(p: ParentLineage): string {
  const data = p.trainedOn
    ? `trained on ${p.trainedOn}${p.examples !== null ? `, ${p.examples} examples` : ""}`
    : null;
  return `${p.name} (${[p.deleted ? "deleted" : null, data].filter(Boolean).join("; ")})`.replace(
    " ()",
    "",
  );
}
