/**
 * Test: a fine-tuned model and its base answer held-out examples, the promotion gate decides whether
 * it is ready, and the report, the decision and the model card are stored in the model's folder.
 * One function for a job's end (on the folder about to be installed) and `tailor eval --save`.
 */
import type { EvaluationReport, ModelCard, Promotion } from "../../../protocol/evals.ts";
import { TailorError } from "../../errors/index.ts";
import {
  decidePromotion,
  type EvalModel,
  evaluate,
  loadEvalExamples,
  preferenceEvaluation,
  saveEvaluation,
} from "../../evals/index.ts";
import { writeModelCard } from "../card.ts";
import type { JobServices } from "../services.ts";
import { probeBias } from "./bias-test.ts";
import { checkForgetting } from "./forgetting-test.ts";
import { compareWithParent } from "./parent-test.ts";
import { testClassifier } from "./test-classifier.ts";

export interface TestOptions {
  /** The fine-tuned model's folder (installed, or a run's output): its manifest names its base. */
  folder: string;
  /** How to run it. */
  model: EvalModel;
  /** Held-out examples (a file or a dataset id); null: there are none, so it is not tested. */
  data: string | null;
  /** What the report calls the examples (default: `data`). */
  source?: string | undefined;
  /** How much better than its base (0-1, primary metric) it must be to be ready. */
  minDelta: number;
  /** Why it was not tested, when `data` is null. */
  untested?: string | undefined;
  /**
   * With `warn`, a test or a card that fails is reported there and the model is stored as not
   * tested (a job goes on to install it); without it, the failure is thrown.
   */
  warn?: ((message: string) => void) | undefined;
  onStart?: ((examples: number) => void) | undefined;
  onProgress?: ((done: number, total: number) => void) | undefined;
  signal?: AbortSignal | undefined;
  maxTokens?: number | undefined;
  batchSize?: number | undefined;
}

export interface TestOutcome {
  report: EvaluationReport | null;
  promotion: Promotion;
  card: ModelCard | null;
}

/** Evaluate against the base -> decide promotion -> save -> write the card. */
export async function testModel(svc: JobServices, opts: TestOptions): Promise<TestOutcome> {
  const manifest = svc.models.readManifestAt(opts.folder);
  if (manifest.kind !== "fine_tuned") {
    throw new TailorError({
      code: "invalid_argument",
      message: `${manifest.name} is a base model; only a fine-tuned model is tested against its base`,
    });
  }
  const name = manifest.name;
  // a text classifier is scored on labels and compared with the majority-label baseline
  if (manifest.method === "classify") return testClassifier(svc, opts, name);
  let report: EvaluationReport | null = null;
  let failed: string | null = null;
  if (opts.data !== null) {
    try {
      const { examples, source } = await loadEvalExamples(opts.data, svc.datasets);
      opts.onStart?.(examples.length);
      // a preference-tuned model: held-out pair accuracy too, the gate's metric (evals/preference.ts)
      const run =
        manifest.method === "dpo" ? preferenceEvaluation(opts.data, svc.datasets) : evaluate;
      report = await run({
        model: opts.model,
        compare: { name: manifest.base.name, source: manifest.base.source },
        examples,
        source: opts.source ?? source,
        maxTokens: opts.maxTokens,
        batchSize: opts.batchSize,
        signal: opts.signal,
        onProgress: opts.onProgress,
      });
      // continued from another model: also against that parent, reported beside (not gated)
      if (manifest.parent)
        report = await compareWithParent(svc, manifest.parent, report, { ...opts, examples });
      // beyond the held-out examples: counterfactual twins (bias) and the general set (forgetting)
      report = await probeBias(svc, report, { ...opts, examples });
      report = await checkForgetting(svc, report, { ...opts, base: manifest.base });
    } catch (e) {
      if (!opts.warn || opts.signal?.aborted) throw e; // cancelled, shut down or lost: the run ends as such
      failed = e instanceof Error ? e.message : String(e);
      opts.warn(`the test against the base model failed: ${failed}`);
    }
  }
  const promotion = decidePromotion(report, {
    model: name,
    minDelta: opts.minDelta,
    ...(failed
      ? {
          notEvaluated: `The test against its base model failed (${failed}); run \`tailor eval ${name} --data FILE --save\` to test it.`,
        }
      : opts.untested
        ? { notEvaluated: opts.untested }
        : {}),
  });
  saveEvaluation(opts.folder, report, promotion);
  let card: ModelCard | null = null;
  try {
    card = writeModelCard(svc, opts.folder);
  } catch (e) {
    if (!opts.warn) throw e;
    opts.warn(
      `could not write the model card (${e instanceof Error ? e.message : e}); \`tailor models card ${name}\` builds it again`,
    );
  }
  return { report, promotion, card };
}
