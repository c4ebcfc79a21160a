/**
 * A model's (or a model name's) health report: per UTC day, requests, answer length, thumbs up and
 * down, wrong answers, moderation flags and unfamiliar questions, with the summary in words. Kept
 * questions not yet checked for drift are checked when a report is asked for (each embedded once:
 * its distance is stored and its text forgotten).
 */
import type { HealthDay, HealthReport } from "../../protocol/health.ts";
import type { Embedder } from "../knowledge/index.ts";
import { dailyCounts, dayRange } from "./counts.ts";
import { type DriftIndex, DriftIndexes } from "./drift.ts";
import { type NameLookup, namesOf, type Scope, scopeOf } from "./scope.ts";
import { summarize } from "./summary.ts";
import { StoredTraining, type TrainingSource } from "./training.ts";
import type { UncheckedQuestion, UsageLog } from "./usage.ts";

export const DEFAULT_DAYS = 28;
export const MAX_DAYS = 365;
/** The summary compares two weeks, so at least this many days are counted. */
const SUMMARY_DAYS = 14;
/** At most this many kept questions are checked per report (the newest; the rest next time). */
const MAX_CHECKS = 2000;

export interface HealthDeps {
  usage: UsageLog;
  names: NameLookup;
  /** Whether a model with this id exists (an id always wins over a name). */
  isModel: (id: string) => boolean;
  training: TrainingSource;
  /** TAILOR_HOME (the drift cache lives in cache/drift/). */
  home: string;
  /** The built-in embedding model (the inference engine). */
  embedder: Embedder;
}

export interface ReportOptions {
  days?: number;
  now?: Date;
  signal?: AbortSignal;
}

export class ModelHealth {
  readonly #drift: DriftIndexes;

  constructor(private readonly deps: HealthDeps) {
    this.#drift = new DriftIndexes(deps);
  }

  /** What `ref` covers: a model name (all its versions), else a model id. */
  scope(ref: string): Scope {
    return scopeOf(this.deps.names, ref, this.deps.isModel);
  }

  async report(ref: string | Scope, opts: ReportOptions = {}): Promise<HealthReport> {
    const scope = typeof ref === "string" ? this.scope(ref) : ref;
    const days = Math.min(Math.max(Math.trunc(opts.days ?? DEFAULT_DAYS), 1), MAX_DAYS);
    const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
    const range = dayRange(now, Math.max(days, SUMMARY_DAYS));
    const indexes = new Map<string, DriftIndex | null>();
    const index = async (model: string) => {
      if (!indexes.has(model)) indexes.set(model, await this.#drift.index(model, opts.signal));
      return indexes.get(model) ?? null;
    };

    let problem: string | null = null;
    try {
      await this.#check(scope, range.from, index, opts.signal);
      for (const m of this.#measured(scope, range.from)) await index(m);
      await index(scope.primary);
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      problem = (e as Error).message;
      console.error(`drift of ${scope.ref} not measured:`, e);
    }
    const thresholds = new Map<string, number>();
    for (const [m, i] of indexes) if (i) thresholds.set(m, i.basis.threshold);

    const all = dailyCounts(this.deps.usage.db, scope, range, thresholds);
    const primary = indexes.get(scope.primary) ?? null;
    const { summary, out_of_date } = summarize({
      days: all,
      ref: scope.ref,
      drift: primary?.basis ?? null,
      retrain: this.#retrainCommand(scope),
    });
    if (problem)
      summary.splice(
        -1,
        0,
        `Unfamiliar questions could not be checked just now (${problem}); the next report tries again.`,
      );
    const shown: HealthDay[] = all.slice(-days);
    return {
      object: "model.health",
      model: scope.ref,
      models: scope.models,
      from: shown[0]?.day ?? "",
      to: shown.at(-1)?.day ?? "",
      days: shown,
      drift_threshold: primary?.basis.threshold ?? null,
      summary,
      out_of_date,
    };
  }

  /** Measures the kept questions not checked yet, model by model. */
  async #check(
    scope: Scope,
    from: number,
    index: (model: string) => Promise<DriftIndex | null>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { usage } = this.deps;
    const byModel = new Map<string, UncheckedQuestion[]>();
    for (const q of usage.unchecked(scope, from, MAX_CHECKS))
      byModel.set(q.resolvedModel, [...(byModel.get(q.resolvedModel) ?? []), q]);
    for (const [model, questions] of byModel) {
      const idx = await index(model);
      if (!idx) {
        usage.forgetQuestions(questions.map((q) => q.seq)); // nothing to compare them with, ever
        continue;
      }
      const vectors = await this.#drift.embed(
        questions.map((q) => q.question),
        signal,
      );
      usage.setDrift(
        new Map(questions.map((q, i) => [q.seq, round(idx.nearest(vectors[i] as Float32Array))])),
      );
    }
  }

  /** The models with measured questions in the window. */
  #measured(scope: Scope, from: number): string[] {
    return (
      this.deps.usage.db
        .prepare(
          `SELECT DISTINCT resolved_model AS m FROM model_usage
           WHERE drift IS NOT NULL AND at >= ? AND ${scope.sql}`,
        )
        .all(from, ...scope.params) as { m: string }[]
    ).map((r) => r.m);
  }

  #retrainCommand(scope: Scope): string | null {
    const name = scope.kind === "name" ? scope.ref : namesOf(this.deps.names, scope.ref)[0];
    return name ? `tailor retrain ${name}` : null;
  }
}

/** The report over a composition root's services (the server's context, the CLI's services). */
export function openHealth(
  s: {
    home: string;
    usage: UsageLog;
    modelNames: NameLookup;
    models: ConstructorParameters<typeof StoredTraining>[0]["models"];
    jobs: ConstructorParameters<typeof StoredTraining>[0]["jobs"];
    datasets: ConstructorParameters<typeof StoredTraining>[0]["datasets"];
  },
  embedder: Embedder,
): ModelHealth {
  const { home, models, jobs, datasets } = s;
  return new ModelHealth({
    usage: s.usage,
    names: s.modelNames,
    isModel: (id) => models.get(id) !== null,
    training: new StoredTraining({ home, models, jobs, datasets }),
    home,
    embedder,
  });
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
