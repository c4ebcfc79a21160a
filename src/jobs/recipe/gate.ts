/**
 * Gate: a retrain's last step, after install (the new model is then a registered model). The version
 * of the name answering now and the new model answer the original held-out examples, the accepted
 * corrections held out and the name's pinned examples (src/evals/gate); the name moves to the new
 * model only when the rule says so, and the version is added either way with the reason in words.
 * A gate that cannot run (an engine error, a dataset gone) never fails the job: the model is kept,
 * not promoted, and the reason says why.
 */
import type { GateDecision } from "../../../protocol/versions.ts";
import {
  compareVersions,
  decideGate,
  type Evaluator,
  type GateFacts,
  type GateInputSet,
  type GateRole,
  gateFailed,
  loadEvalExamples,
  regressionExamples,
} from "../../evals/index.ts";
import type { Job } from "../types.ts";
import type { RunContext } from "./context.ts";
import type { Ending } from "./finish.ts";

/** What a name's history keeps of a reason (ModelNames refuses longer ones). */
const MAX_WHY = 1000;

export interface GateOptions {
  /** evaluate(), or a fake of it in unit tests. */
  evaluator?: Evaluator | undefined;
  maxTokens?: number | undefined;
  batchSize?: number | undefined;
}

/**
 * Runs the gate of a retrain job (null for any other job), adds the new model to the name (promoted
 * or not) and says the decision in the job's events. Throws only when the job was lost to another
 * worker (nothing is recorded then).
 */
export async function runGate(
  job: Job,
  ctx: RunContext,
  opts: GateOptions = {},
): Promise<GateDecision | null> {
  const retrain = job.spec.retrain;
  if (!retrain) return null;
  const { jobs, modelNames } = ctx.services;
  const say = (level: "info" | "warn", message: string, data: Record<string, unknown> = {}) => {
    if (ctx.reason() !== "lost")
      jobs.events.add(job.id, {
        type: "message",
        level,
        message,
        data: { stage: "gate", ...data },
      });
  };
  const named = modelNames.find(retrain.name);
  const planned = { version: retrain.current_version, model: retrain.current_model };
  if (!named) {
    const decision = gateFailed(
      {
        name: retrain.name,
        current: planned,
        candidate: { version: planned.version + 1, model: job.model_name },
      },
      `the name ${retrain.name} was deleted while the job ran`,
    );
    const reason = `Not promoted: the name ${retrain.name} was deleted while the job ran, so there is nothing to promote; the new model is kept as ${job.model_name}.`;
    say("warn", reason);
    return { ...decision, reason };
  }
  const facts: GateFacts = {
    name: retrain.name,
    current: { version: named.current, model: named.current_model },
    candidate: {
      version: Math.max(0, ...named.versions.map((v) => v.version)) + 1,
      model: job.model_name,
    },
    planned,
  };
  let decision: GateDecision;
  try {
    decision = decideGate(facts, await compare(job, ctx, facts, opts, say));
  } catch (e) {
    if (ctx.reason() === "lost") throw e;
    const why = ctx.signal.aborted
      ? "the job was stopped while the gate ran"
      : (messageOf(e).split("\n")[0] ?? "");
    decision = gateFailed(facts, why);
  }
  decision = record(job, ctx, decision, (m) => say("warn", m));
  say(decision.promote ? "info" : "warn", decision.reason, { gate: decision });
  return decision;
}

/** The job's ending with the gate's decision in its result, summary and completed event. */
export function withGate(ending: Ending, decision: GateDecision | null): Ending {
  const result = ending.end.result;
  if (!decision || !result) return ending;
  const summary = `${result.summary} ${decision.reason}`;
  return {
    end: { ...ending.end, result: { ...result, gate: decision, summary } },
    event: { ...ending.event, message: summary, data: { ...ending.event.data, gate: decision } },
  };
}

/** Loads the three sets and has both versions answer them, with progress as job events. */
async function compare(
  job: Job,
  ctx: RunContext,
  facts: GateFacts,
  opts: GateOptions,
  say: (level: "info" | "warn", message: string, data?: Record<string, unknown>) => void,
) {
  const retrain = job.spec.retrain as NonNullable<Job["spec"]["retrain"]>;
  const { datasets, models, regression } = ctx.services;
  const load = async (data: string | null): Promise<GateInputSet | null> =>
    data === null ? null : loadEvalExamples(data, datasets);
  const pinned = regressionExamples(regression.list(retrain.name));
  const sets: Record<GateRole, GateInputSet | null> = {
    original: await load(retrain.original_held_out),
    corrections: await load(retrain.held_out_dataset),
    regression: pinned.length
      ? { source: `${retrain.name}'s pinned examples`, examples: pinned }
      : null,
  };
  let last = 0;
  return compareVersions({
    current: models.resolve(facts.current.model),
    candidate: models.resolve(facts.candidate.model),
    sets,
    evaluator: opts.evaluator,
    maxTokens: opts.maxTokens,
    batchSize: opts.batchSize,
    signal: ctx.signal,
    onStart: (answers) =>
      say(
        "info",
        `gate: comparing ${job.model_name} with v${facts.current.version} of ${facts.name} (${facts.current.model}) on ${describe(sets)}`,
        { done: 0, total: answers },
      ),
    onProgress: (done, total) => {
      if (Date.now() - last < 1000 && done !== total) return;
      last = Date.now();
      say("info", `gate: ${done} of ${total} answers`, { done, total });
    },
  });
}

function describe(sets: Record<GateRole, GateInputSet | null>): string {
  const n = (s: GateInputSet | null) => s?.examples.length ?? 0;
  return `${n(sets.original)} original held-out examples, ${n(sets.corrections)} held-out corrections and ${n(sets.regression)} pinned examples`;
}

/**
 * Adds the new model to the name (promoted when the gate says so) and, when refused, records why in
 * its history. A name that cannot take it is said in the reason, and nothing is promoted.
 */
function record(
  job: Job,
  ctx: RunContext,
  decision: GateDecision,
  say: (message: string) => void,
): GateDecision {
  const retrain = job.spec.retrain as NonNullable<Job["spec"]["retrain"]>;
  const { modelNames } = ctx.services;
  const who = retrain.requested_by;
  const why = clip(decision.reason);
  try {
    const added = modelNames.add(retrain.name, job.model_name, {
      who,
      why,
      origin: "retrain",
      jobId: job.id,
      gate: decision,
      promote: decision.promote,
    });
    audit(ctx, job, decision, added.version, say);
    if (decision.promote) return decision;
    try {
      modelNames.refused(retrain.name, who, why, added.version);
    } catch (e) {
      say(`the refusal could not be written in ${retrain.name}'s history (${messageOf(e)})`);
    }
    return decision;
  } catch (e) {
    return {
      ...decision,
      promote: false,
      reason: `${decision.reason} But it could not be added to ${retrain.name} (${messageOf(e)}), so ${retrain.name} is unchanged; the new model is kept as ${job.model_name}.`,
    };
  }
}

/** The decision in the audit log, as the change of a name by who asked for the retrain. */
function audit(
  ctx: RunContext,
  job: Job,
  decision: GateDecision,
  version: number,
  say: (message: string) => void,
): void {
  const retrain = job.spec.retrain as NonNullable<Job["spec"]["retrain"]>;
  try {
    ctx.services.audit?.append({
      keyId: null,
      owner: retrain.requested_by,
      role: null,
      action: decision.promote ? "model_names.promote" : "model_names.refused",
      target: retrain.name,
      result: "ok",
      client: "gate",
      details: {
        from: decision.current.version,
        to: version,
        model: job.model_name,
        job: job.id,
        why: clip(decision.reason),
      },
    });
  } catch (e) {
    say(`the gate's decision could not be written in the audit log (${messageOf(e)})`);
  }
}

function clip(reason: string): string {
  return reason.length > MAX_WHY ? `${reason.slice(0, MAX_WHY - 1)}…` : reason;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
