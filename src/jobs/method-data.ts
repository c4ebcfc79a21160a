/**
 * Whether a job's data fits its way of training: DPO learns from preference pairs only, and
 * supervised training refuses pairs rather than quietly training on half of each (OpenAI's
 * fine-tuning refuses a file whose format does not match the method, too). Text classifiers check
 * their own data.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { DatasetStore, DatasetVersion } from "../datasets/index.ts";
import { TailorError } from "../errors/index.ts";
import type { TrainingMethod } from "./types.ts";

const PAIR_FORMAT =
  'one pair per line: {"input": {"messages": [...]}, "preferred_output": [{"role": "assistant", "content": "..."}], "non_preferred_output": [...]} (or TRL\'s {"prompt", "chosen", "rejected"})';

/** The first line of a stored file (stored lines are Example JSON, one kind per dataset). */
function firstLine(file: string): string {
  const fd = openSync(file, "r");
  try {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const at = buf.subarray(0, n).indexOf(10);
      chunks.push(Buffer.from(buf.subarray(0, at < 0 ? n : at)));
      if (at >= 0) break;
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** Whether a stored dataset version holds preference pairs (a check refuses files that mix). */
export function holdsPairs(datasets: DatasetStore, version: DatasetVersion): boolean {
  const line = firstLine(datasets.files(version.id).train);
  try {
    const value = JSON.parse(line) as { non_preferred_output?: unknown } | null;
    return Array.isArray(value?.non_preferred_output);
  } catch {
    return false; // the store wrote it; a line that does not parse is not a pair
  }
}

/** Refuses data that does not fit `method`, naming the file the caller gave and what to do. */
export function checkMethodData(
  datasets: DatasetStore,
  method: TrainingMethod | undefined,
  train: DatasetVersion,
  val: DatasetVersion | null,
  names: { training: string; validation: string | null },
): void {
  if (method === "classify") return;
  const dpo = method === "dpo";
  for (const [version, name, field] of [
    [train, names.training, "training_file"],
    [val, names.validation, "validation_file"],
  ] as const) {
    if (!version) continue;
    const pairs = holdsPairs(datasets, version);
    if (dpo && !pairs)
      throw new TailorError({
        code: "data_invalid",
        message: `${name ?? version.id} has no preference pairs, and --method dpo learns from pairs: ${PAIR_FORMAT}. To learn the example answers themselves, train with --method supervised`,
        details: { field },
      });
    if (!dpo && pairs)
      throw new TailorError({
        code: "data_invalid",
        message: `${name ?? version.id} holds preference pairs (a preferred and a non-preferred answer per line); train with --method dpo (API: "method": {"type": "dpo"}). Supervised training learns plain examples`,
        details: { field },
      });
  }
}
