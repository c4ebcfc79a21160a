/**
 * Forgetting at a model's test: the general-ability set answered by the base and the tuned model
 * (src/evals/forgetting). (Owned by the forgetting check.)
 */
import type { EvaluationReport } from "../../../protocol/evals.ts";
import type { ModelSource } from "../../../protocol/index.ts";
import type { JobServices } from "../services.ts";
import type { TestOptions } from "./test.ts";

export async function checkForgetting(
  _svc: JobServices,
  report: EvaluationReport,
  _opts: TestOptions & { base: { name: string; source: ModelSource } },
): Promise<EvaluationReport> {
  return report;
}
