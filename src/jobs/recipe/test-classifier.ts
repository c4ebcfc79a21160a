/**
 * Test for a text classifier: it labels the held-out texts, it is compared with the majority-label
 * baseline (a classifier has no base model that could answer), and the report, the decision and the
 * model card are stored in its folder, as testModel does for models that write answers.
 */
import type { EvaluationReport, ModelCard } from "../../../protocol/evals.ts";

import {
  decideClassifierPromotion,
  decidePromotion,
  evaluateClassifier,
  loadLabelledExamples,
  reviewForBias,
  saveEvaluation,
} from "../../evals/index.ts";
import { writeModelCard } from "../card.ts";
import type { JobServices } from "../services.ts";
import { probeBias } from "./bias-test.ts";
import type { TestOptions, TestOutcome } from "./test.ts";

export async function testClassifier(
  svc: JobServices,
  opts: TestOptions,
  name: string,
): Promise<TestOutcome> {
  let report: EvaluationReport | null = null;
  let failed: string | null = null;
  if (opts.data !== null) {
    try {
      const { examples, source } = await loadLabelledExamples(opts.data, svc.datasets);
      opts.onStart?.(examples.length);
      report = await evaluateClassifier({
        name,
        folder: opts.folder,
        examples,
        source: opts.source ?? source,
        signal: opts.signal,
      });
      opts.onProgress?.(examples.length, examples.length);
      // counterfactual twins of the texts that mention people (bias-test.ts)
      report = await probeBias(svc, report, { ...opts, examples, classifier: true });
    } catch (e) {
      if (!opts.warn || opts.signal?.aborted) throw e; // cancelled, shut down or lost: the run ends as such
      failed = e instanceof Error ? e.message : String(e);
      opts.warn(`the test on the held-out texts failed: ${failed}`);
    }
  }
  const promotion = report
    ? reviewForBias(
        decideClassifierPromotion(report, { model: name, minDelta: opts.minDelta }),
        report.bias,
      )
    : decidePromotion(null, {
        model: name,
        minDelta: opts.minDelta,
        notEvaluated: failed
          ? `The test on the held-out texts failed (${failed}); run \`tailor eval ${name} --data FILE --save\` to test it.`
          : (opts.untested ??
            `It has not been tested on held-out texts; run \`tailor eval ${name} --data FILE --save\` with labelled texts it was not trained on.`),
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
