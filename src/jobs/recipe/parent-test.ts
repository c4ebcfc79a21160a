/**
 * A model continued from another is tested against its base (the promotion gate's comparison) and,
 * when the parent is still here, also against that parent on the same held-out examples: did the new
 * examples make it better than the model it started from? Reported, not gated.
 */
import { type EvaluationReport, PRIMARY_METRIC } from "../../../protocol/evals.ts";
import { type EvalExample, evaluate } from "../../evals/index.ts";
import { parentLineage } from "../parent.ts";
import type { JobServices } from "../services.ts";
import type { ParentModel } from "../types.ts";

/** Scores closer than this are a tie (as in the evaluation itself). */
const TIE = 1e-9;

export interface ParentTestOptions {
  examples: EvalExample[];
  signal?: AbortSignal | undefined;
  batchSize?: number | undefined;
  /** Where a failed comparison is reported (the report is then returned as it was). */
  warn?: ((message: string) => void) | undefined;
}

/** `report` with the parent's scores on its examples; as it was when the parent is gone. */
export async function compareWithParent(
  svc: JobServices,
  parent: ParentModel,
  report: EvaluationReport,
  opts: ParentTestOptions,
): Promise<EvaluationReport> {
  if (parentLineage(svc, parent).deleted) return report;
  // only the answers' scores are compared here (a preference report's pair accuracy is not)
  if (report.primary_metric !== PRIMARY_METRIC[report.kind]) return report;
  try {
    const model = svc.models.resolve(parent.name);
    const theirs = await evaluate({
      model,
      examples: opts.examples,
      source: report.data.source,
      maxTokens: report.settings.max_tokens,
      batchSize: opts.batchSize ?? report.settings.batch_size,
      signal: opts.signal,
    });
    const outcome = { wins: 0, ties: 0, losses: 0 };
    report.examples.forEach((row, i) => {
      const a = row.scores[0] ?? 0;
      const b = theirs.examples[i]?.scores[0] ?? 0;
      if (a > b + TIE) outcome.wins++;
      else if (b > a + TIE) outcome.losses++;
      else outcome.ties++;
    });
    return {
      ...report,
      parent: { model: parent.name, metrics: theirs.models[0]?.metrics ?? {}, outcome },
    };
  } catch (e) {
    if (!opts.warn || opts.signal?.aborted) throw e;
    opts.warn(
      `the comparison with ${parent.name} failed (${e instanceof Error ? e.message : e}); the test against the base stands`,
    );
    return report;
  }
}
