/**
 * Classifiers among the models: a fine-tuned model trained with method "classify" is a folder the
 * engine's classify reads (the saved encoder with its head, and tailor_classifier.json). It sorts
 * texts into labels and writes no answers, so generation refuses it, and classification refuses
 * every other model.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { TailorError } from "../errors/index.ts";
import type { ModelEntry, ModelRegistry, ResolvedModel } from "./registry.ts";

/** The engine's settings file in a classifier folder. */
export const CLASSIFIER_FILE = "tailor_classifier.json";

export interface ClassifierModel {
  name: string;
  /** The folder the engine loads. */
  dir: string;
  /** In the order of the head's outputs. */
  labels: string[];
  multiLabel: boolean;
}

/** The classifier a model entry is, or null when it generates text. */
export function classifierOf(entry: ModelEntry): ClassifierModel | null {
  const m = entry.manifest;
  if (m?.kind !== "fine_tuned" || m.method !== "classify" || !entry.path) return null;
  return {
    name: entry.name,
    dir: entry.path,
    labels: m.labels ?? [],
    multiLabel: m.multi_label ?? false,
  };
}

/** `entry` as a classifier; a generative model is refused, saying what to use instead. */
export function requireClassifier(entry: ModelEntry): ClassifierModel {
  const classifier = classifierOf(entry);
  if (classifier) return classifier;
  throw new TailorError({
    code: "invalid_argument",
    message: `'${entry.name}' is a ${entry.kind === "base" ? "base" : "fine-tuned"} model that writes answers, not a classifier; use it with POST /v1/chat/completions or \`tailor chat\`, or train a classifier with \`tailor train --task classify\``,
    details: { field: "model" },
  });
}

/**
 * A classifier for the CLI: a model name, or a classifier folder (one holding tailor_classifier.json).
 */
export function resolveClassifier(registry: ModelRegistry, ref: string): ClassifierModel {
  const entry = registry.get(ref);
  if (entry) return requireClassifier(entry);
  const labels = classifierLabels(ref);
  if (labels) return { name: ref, dir: ref, labels: labels.labels, multiLabel: labels.multiLabel };
  const classifiers = registry
    .list()
    .filter((e) => classifierOf(e))
    .map((e) => e.name);
  throw new TailorError({
    code: "model_not_found",
    message: `unknown classifier '${ref}'. ${classifiers.length ? `Classifiers here: ${classifiers.join(", ")}.` : "There is no classifier yet:"} Train one with \`tailor train --task classify --data texts.csv\` (columns text,label).`,
    details: { field: "model" },
  });
}

/** A generative path handed a classifier: refuse it, naming the classification routes. */
export function refuseClassifier(model: ResolvedModel): void {
  const found = model.adapterDir ? classifierLabels(model.adapterDir) : null;
  if (!found) return;
  throw new TailorError({
    code: "invalid_argument",
    message: `'${model.name}' is a classifier (labels: ${found.labels.join(", ")}): it sorts texts into labels and does not write answers; use POST /v1/classifications or \`tailor classify ${model.name} TEXT\``,
    details: { field: "model" },
  });
}

/** What this side reads of tailor_classifier.json (the engine checks the rest when it loads it). */
const ClassifierSettings = z.object({
  labels: z.array(z.string()).catch([]),
  multi_label: z.boolean().catch(false),
});

/** The labels of the classifier folder `dir`, or null when it is not one. */
function classifierLabels(dir: string): { labels: string[]; multiLabel: boolean } | null {
  const file = join(dir, CLASSIFIER_FILE);
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    raw = {}; // still a classifier: the engine names what is wrong with the file when it loads it
  }
  const settings = ClassifierSettings.catch({ labels: [], multi_label: false }).parse(raw);
  return { labels: settings.labels, multiLabel: settings.multi_label };
}
