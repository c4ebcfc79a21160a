/**
 * The bias probe at a model's test: counterfactual twins of the held-out inputs that mention people,
 * answered by the tuned model (or the classifier) as the evaluation answered, and compared
 * (src/evals/bias). The probe's verdict goes into the report; the promotion gate reads it there. A
 * probe that fails is a warning: the report goes on without it.
 */
import type { EvaluationReport } from "../../../protocol/evals.ts";
import { type EvalExample, type LabelledExample, runBiasProbe } from "../../evals/index.ts";
import type { JobServices } from "../services.ts";
import type { TestOptions } from "./test.ts";

const stderr = (line: string) => void process.stderr.write(`warning: ${line}\n`);

export async function probeBias(
  _svc: JobServices,
  report: EvaluationReport,
  opts: TestOptions & { examples: EvalExample[] | LabelledExample[]; classifier?: boolean },
): Promise<EvaluationReport> {
  try {
    const inputs = opts.examples.map((e) =>
      "text" in e
        ? { line: e.line, messages: [{ role: "user" as const, content: e.text }] }
        : { line: e.line, messages: e.messages, tools: e.tools },
    );
    const bias = await runBiasProbe({
      report,
      inputs,
      model: opts.classifier ? { classifier: opts.folder } : opts.model,
      expected: opts.examples.map((e) => ("expected" in e ? e.expected : "")),
      signal: opts.signal,
    });
    return { ...report, bias };
  } catch (e) {
    if (opts.signal?.aborted) throw e; // cancelled or shut down: the run ends as such
    (opts.warn ?? stderr)(
      `the bias probe (twins of the held-out inputs that mention people) failed: ${e instanceof Error ? e.message : e}; the test against the base stands without it`,
    );
    return report;
  }
}
