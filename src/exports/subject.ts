/**
 * The model an export writes out, as the writer needs it: its weights (the base's source and the
 * adapter of a fine-tune), its base's name, where its card is, and the training's fixed system
 * prompt. Models that cannot be exported are refused here with the reason and what to do instead.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ModelSource } from "../../protocol/index.ts";
import { TailorError } from "../errors/index.ts";
import {
  CLASSIFIER_FILE,
  classifierOf,
  describeSource,
  type ModelRegistry,
  type ResolvedModel,
} from "../models/index.ts";
import type { ExportFormat, GgufQuantization } from "./types.ts";

export interface ExportSubject {
  /** The model's id (a checkpoint's reference for a checkpoint). */
  name: string;
  source: ModelSource;
  /** The fine-tune's adapter folder (null: a base model). */
  adapterDir: string | null;
  /** The base model's name (the model itself for a base model). */
  base: string;
  /** Where the base's weights come from, in words. */
  baseSource: string;
  /** The folder that may hold MODEL_CARD.md and model-card.json (null: none). */
  cardDir: string | null;
  /** The system prompt every training example started with (null: none, or not one fixed). */
  system: string | null;
}

export interface SubjectDeps {
  models: ModelRegistry;
  /** The system prompt the model's training fixed (see fixedSystemPrompt); absent: none. */
  systemPrompt?: (model: string) => string | null;
}

/** Encoders among the built-in bases: they sort texts and write no answers. */
const ENCODER_BASES = new Set(["all-minilm-l6-v2"]);

const refuse = (message: string, field = "model") =>
  new TailorError({ code: "invalid_argument", message, details: { field } });

/** The resolved model as an export's subject; classifiers and encoders are refused. */
export function exportSubject(deps: SubjectDeps, model: ResolvedModel): ExportSubject {
  const entry = deps.models.get(model.name);
  const manifest = entry?.manifest ?? null;
  const classifier = entry ? classifierOf(entry) : null;
  const classifierDir = model.adapterDir && existsSync(join(model.adapterDir, CLASSIFIER_FILE));
  if (classifier || classifierDir) {
    throw refuse(
      `'${model.name}' is a classifier: an encoder with a label head that sorts texts and writes no answers, so PEFT, merged, GGUF and Ollama exports (made for models that write answers) do not apply to it. Its folder${entry?.path ? ` ${entry.path}` : ""} is already a Hugging Face model folder; use it with \`tailor classify\` or POST /v1/classifications`,
    );
  }
  if (model.source.kind === "builtin" && ENCODER_BASES.has(model.source.name)) {
    throw refuse(
      `'${model.name}' is a sentence encoder (the base of classifiers): it writes no answers, so there is nothing to export for chat; export a model that writes answers, such as smollm2-135m-instruct or one fine-tuned from it`,
    );
  }
  const fineTuned = manifest?.kind === "fine_tuned" ? manifest : null;
  return {
    name: model.name,
    source: model.source,
    adapterDir: model.adapterDir ?? null,
    base: fineTuned?.base.name ?? (model.adapterDir ? describeSource(model.source) : model.name),
    baseSource: describeSource(model.source),
    cardDir: fineTuned && entry?.path ? entry.path : null,
    system: fineTuned ? (deps.systemPrompt?.(model.name) ?? null) : null,
  };
}

/**
 * The quantization an export of `format` writes (null for peft and merged, which keep the weights
 * as trained); a peft export of a base model, and a quantization given for peft or merged, refused.
 */
export function exportQuantization(
  subject: ExportSubject,
  format: ExportFormat,
  quantization: GgufQuantization | undefined,
): GgufQuantization | null {
  if (format === "peft" && !subject.adapterDir) {
    throw refuse(
      `'${subject.name}' is a base model: it has no adapter to export as PEFT. Export it as merged, gguf or ollama, or export a fine-tuned model as peft`,
      "format",
    );
  }
  if (format === "peft" || format === "merged") {
    if (quantization !== undefined) {
      throw refuse(
        `quantization ${quantization} is for gguf and ollama exports; a ${format} export keeps the weights as trained (safetensors). Leave the quantization out, or export as gguf`,
        "quantization",
      );
    }
    return null;
  }
  return quantization ?? "f16";
}
