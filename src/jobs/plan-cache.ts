import type { DataReport } from "../datasets/index.ts";
import { type FineTunePlan, measureData, type PlanOptions, planFineTune } from "./plan.ts";
import type { JobServices } from "./services.ts";

/** A report with nothing measured: enough to check a plan's settings before measuring. */
const UNMEASURED = {
  examples: 0,
  stats: { tokens_per_epoch: null, tokens_per_second: null },
} as DataReport;

/**
 * Plans fine-tunes for a long-lived process (the server): measuring starts an engine, so one
 * measurement runs at a time and each answer is kept (a base model and a dataset version do not
 * change). Create one per process and share it.
 */
export class PlanCache {
  private readonly measured = new Map<string, Promise<DataReport>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly svc: JobServices,
    private readonly measure: typeof measureData = measureData,
  ) {}

  /** The models plans are made for. */
  get models(): JobServices["models"] {
    return this.svc.models;
  }

  /** What a job would use ("auto" resolved) and how long it would take here; creates nothing. */
  async plan(opts: PlanOptions): Promise<FineTunePlan> {
    planFineTune(this.svc, opts, UNMEASURED); // bad settings or an unknown model answer now
    return planFineTune(this.svc, opts, await this.report(opts.base, opts.data));
  }

  private report(base: string, data: string): Promise<DataReport> {
    const key = `${base}\u0000${data}`;
    let report = this.measured.get(key);
    if (!report) {
      report = this.queue.then(() => this.measure(this.svc, base, data));
      this.queue = report.catch(() => undefined);
      this.measured.set(key, report);
      report.catch(() => this.measured.delete(key));
    }
    return report;
  }
}
