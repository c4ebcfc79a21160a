import { checkData, type DataReport, engineTokenCounter } from "../datasets/index.ts";
import { estimateParameters } from "../models/index.ts";
import type { HyperparameterInput } from "../training/index.ts";
import { describeSpec, planSpec } from "./create.ts";
import { trainingStart } from "./parent.ts";
import type { JobServices } from "./services.ts";
import type { JobSpec, TrainingMethod } from "./types.ts";

export interface PlanOptions extends HyperparameterInput {
  base: string;
  /** Dataset version ids (ds-…). */
  data: string;
  val?: string | undefined;
  /** How the model would be taught (default supervised; classify plans a text classifier). */
  method?: TrainingMethod | undefined;
}

/** What a fine-tune would do and cost, before it is created: the studio's settings and estimates. */
export interface FineTunePlan {
  base: string;
  parameters: number | null;
  spec: JobSpec;
  explanations: string[];
  /** The training examples as the base model reads them: token counts, time on this machine. */
  report: DataReport;
  /** Seconds the whole run should take here (measured speed × planned epochs), null if unknown. */
  estimatedSeconds: number | null;
}

/** The training examples of dataset `data` as base model `base` reads them (starts an engine). */
export async function measureData(
  svc: JobServices,
  base: string,
  data: string,
): Promise<DataReport> {
  const file = svc.datasets.files(data).train;
  const name = trainingStart(svc.models, base).base.name; // a fine-tuned model reads as its base
  return checkData(file, { base: name, tokenCounter: engineTokenCounter(name, svc.home) });
}

/**
 * Resolves "auto" as createJob would and estimates the run's time from `measured` (measureData's
 * report: token counts and one timed training step), without creating anything.
 */
export function planFineTune(
  svc: JobServices,
  opts: PlanOptions,
  measured: DataReport,
): FineTunePlan {
  const { base, parent } = trainingStart(svc.models, opts.base, opts.method);
  const val = opts.val ? svc.datasets.get(opts.val) : null;
  const spec = planSpec(opts, base.source, svc.datasets.get(opts.data), val, parent);
  const epochs = spec.hyperparameters.epochs;
  const perEpoch = measured.stats.tokens_per_epoch;
  const tps = measured.stats.tokens_per_second;
  // the stored file still holds the examples an automatic split will hold out
  const share = measured.examples > 0 ? spec.train_examples / measured.examples : 1;
  return {
    base: base.name,
    parameters: estimateParameters(base.source),
    spec,
    explanations: describeSpec(spec),
    report: measured,
    estimatedSeconds: perEpoch && tps ? Math.round((perEpoch * share * epochs) / tps) : null,
  };
}
