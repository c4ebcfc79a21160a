/**
 * Forgetting at a model's test: the general-ability set answered by the base and the tuned model
 * (src/evals/forgetting), the base's answers cached in TAILOR_HOME. A check that fails is a warning:
 * the report goes on without it, and the job or `tailor eval --save` does not fail for it. A base
 * with random weights (the tiny test model) is not asked: it has nothing to lose.
 */
import type { EvaluationReport } from "../../../protocol/evals.ts";
import type { ModelSource } from "../../../protocol/index.ts";
import {
  GENERAL_SET_NAME,
  generalSetCacheDir,
  runGeneralSet,
  skippedCheck,
} from "../../evals/index.ts";
import type { JobServices } from "../services.ts";
import type { TestOptions } from "./test.ts";

const stderr = (line: string) => void process.stderr.write(`warning: ${line}\n`);

export async function checkForgetting(
  svc: JobServices,
  report: EvaluationReport,
  opts: TestOptions & { base: { name: string; source: ModelSource } },
): Promise<EvaluationReport> {
  // a random test model (`tailor models create-tiny`) has no general abilities to lose
  const description = svc.models.get(opts.base.name)?.description ?? "";
  if (/\btiny\b/i.test(description) && /\brandom\b/i.test(description)) {
    const why = `its base ${opts.base.name} has random weights (a test model), so it has no general abilities to lose`;
    return { ...report, forgetting: skippedCheck(GENERAL_SET_NAME, why) };
  }
  // TAILOR_GENERAL_SET=off skips it (the test suite does, except where the set is what is tested)
  if (process.env.TAILOR_GENERAL_SET === "off") {
    const why = "TAILOR_GENERAL_SET=off was set, so the general questions were not asked";
    return { ...report, forgetting: skippedCheck(GENERAL_SET_NAME, why) };
  }
  try {
    const forgetting = await runGeneralSet({
      model: opts.model,
      base: { name: opts.base.name, source: opts.base.source },
      cacheDir: generalSetCacheDir(svc.home),
      batchSize: opts.batchSize ?? report.settings.batch_size,
      signal: opts.signal,
    });
    return { ...report, forgetting };
  } catch (e) {
    if (opts.signal?.aborted) throw e; // cancelled or shut down: the run ends as such
    (opts.warn ?? stderr)(
      `the general-ability check (what tuning may have made the model forget) failed: ${e instanceof Error ? e.message : e}; the test against the base stands without it`,
    );
    return report;
  }
}
