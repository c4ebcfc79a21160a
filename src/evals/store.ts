/**
 * A fine-tuned model's evaluation lives in its own folder, next to its adapter:
 * `evaluation.json` (the full report) and the promotion decision in `tailor-model.json`.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EvaluationReport, type Promotion } from "../../protocol/evals.ts";
import { TailorError } from "../errors/index.ts";
import { MANIFEST_FILE, ModelManifest } from "../models/index.ts";

export const EVALUATION_FILE = "evaluation.json";

/** Readers see the old file or the new one, never half of one. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Stores the report and the decision in a model folder (or a folder about to become one). */
export function saveEvaluation(
  folder: string,
  report: EvaluationReport | null,
  promotion: Promotion,
): void {
  if (report) writeJsonAtomic(join(folder, EVALUATION_FILE), EvaluationReport.parse(report));
  const file = join(folder, MANIFEST_FILE);
  const manifest = ModelManifest.parse(JSON.parse(readFileSync(file, "utf8")));
  if (manifest.kind !== "fine_tuned") {
    throw new TailorError({
      code: "invalid_argument",
      message: `${manifest.name} is a base model; only fine-tuned models have a promotion state`,
    });
  }
  writeJsonAtomic(file, ModelManifest.parse({ ...manifest, promotion }));
}

/** The stored report of a model folder, or null when it has none. */
export function readEvaluation(folder: string): EvaluationReport | null {
  const file = join(folder, EVALUATION_FILE);
  if (!existsSync(file)) return null;
  const parsed = EvaluationReport.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) {
    throw new TailorError({
      code: "model_corrupt",
      message: `${file} is not a valid evaluation report (${parsed.error.issues[0]?.message}); run \`tailor eval\` with --save again`,
    });
  }
  return parsed.data;
}
