/**
 * A retrain's plan, decided before anything is stored: the accepted reviews not used before (some
 * held out for the gate, the rest trained on), a sample of the current version's original examples
 * (so old skills are kept), the original held-out set and the regression set the gate compares on,
 * all said in words. The same items and the same sample every time the plan is made again.
 */
import { createHash } from "node:crypto";
import type { RetrainResponse } from "../../protocol/api/retrain.ts";
import type { ReviewItem } from "../../protocol/review.ts";
import { MIN_EXAMPLES } from "../datasets/index.ts";
import { TailorError } from "../errors/index.ts";
import { drawSample, originalData, usablePool } from "./original.ts";
import type { Plan, RetrainOptions, RetrainServices } from "./types.ts";

/** Share of the accepted items held out for the gate when none is asked for. */
export const DEFAULT_HELD_OUT_SHARE = 0.25;
/** Original examples mixed in at least (when there are that many), whatever the corrections. */
export const MIN_SAMPLE = 20;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What a retrain of `name` would train on and hold out; refused when there is nothing to learn. */
export function planRetrain(svc: RetrainServices, name: string, opts: RetrainOptions = {}): Plan {
  const share = checkShare(opts.heldOutShare);
  if (opts.sample !== undefined && !(Number.isInteger(opts.sample) && opts.sample >= 0))
    throw new TailorError({
      code: "invalid_argument",
      message: `sample ${opts.sample}: give a whole number of original examples to mix in (0 for none)`,
      details: { field: "sample" },
    });
  const named = svc.modelNames.get(name);
  const current = { version: named.current, model: named.current_model };
  const models = [...new Set([name, ...named.versions.map((v) => v.model)])];
  const items = svc.review
    .unused(models)
    .filter((i) => i.status === "accepted" && i.final_answer !== null);
  if (items.length === 0)
    throw new TailorError({
      code: "conflict",
      message: `no accepted reviews since the last retrain of ${name}: review some first: tailor review list`,
      details: { field: "name" },
    });
  const { train, heldOut } = splitItems(items, share);
  const original = originalData(svc, current.model);
  const usable = usablePool(original.pool, items);
  const wanted = opts.sample ?? Math.max(2 * train.length, MIN_SAMPLE);
  const lines = drawSample(usable, wanted);
  const regressionExamples = svc.regression.list(name).length;
  const plan: Plan = {
    name,
    current,
    models,
    nextVersion: Math.max(current.version, ...named.versions.map((v) => v.version)) + 1,
    train,
    heldOut,
    sample: { dataset: original.dataset, lines, available: usable.length },
    originalHeldOut: original.heldOut,
    regressionExamples,
    notes: [],
    refusal: null,
  };
  const total = train.length + lines.length;
  if (total < MIN_EXAMPLES)
    plan.refusal = `${plural(train.length, "accepted correction")} and ${plural(lines.length, "original example")} make ${plural(total, "training example")}; fine-tuning needs at least ${MIN_EXAMPLES}: accept more reviews first (tailor review list)${usable.length > lines.length ? ", or mix in more original examples (--sample)" : ""}`;
  plan.notes = describe(plan, {
    share,
    wanted,
    originalNotes: original.notes,
    replaced: original.pool.length - usable.length,
  });
  return plan;
}

function checkShare(share: number | undefined): number {
  if (share === undefined) return DEFAULT_HELD_OUT_SHARE;
  if (!(share >= 0 && share <= 0.9))
    throw new TailorError({
      code: "invalid_argument",
      message: `held-out share ${share}: give a share between 0 and 0.9 of the accepted reviews to hold out for the gate (default ${DEFAULT_HELD_OUT_SHARE})`,
      details: { field: "held_out_share" },
    });
  return share;
}

/**
 * Held out for the gate: `share` of the items (rounded), at least one when there are two or more
 * (none when `share` is 0), never all; chosen by a hash of each item's id, so the same items are
 * held out however the queue is ordered. The rest are trained on, oldest first.
 */
export function splitItems(
  items: ReviewItem[],
  share: number,
): { train: ReviewItem[]; heldOut: ReviewItem[] } {
  const n = items.length;
  const k = share === 0 || n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * share)));
  const hash = (i: ReviewItem) => createHash("sha256").update(i.id).digest("hex");
  const held = new Set(
    [...items]
      .sort((a, b) => (hash(a) < hash(b) ? -1 : 1))
      .slice(0, k)
      .map((i) => i.id),
  );
  return {
    train: items.filter((i) => !held.has(i.id)),
    heldOut: items.filter((i) => held.has(i.id)),
  };
}

/** The plan in sentences a support lead can act on. */
function describe(
  plan: Plan,
  ctx: { share: number; wanted: number; originalNotes: string[]; replaced: number },
): string[] {
  const { name, current, train, heldOut, sample } = plan;
  const notes = [
    `${plural(train.length, "accepted correction")} to train on, ${heldOut.length} held out for the gate`,
  ];
  if (heldOut.length === 0)
    notes.push(
      ctx.share === 0
        ? "none is held out (held-out share 0): the gate has no corrections to compare the versions on, so it will not promote the new version"
        : "only 1 accepted correction: it is trained on and none is held out, so the gate has no corrections to compare the versions on and will not promote the new version; accept at least 2 to let the gate judge",
    );
  if (sample.dataset) {
    const capped =
      ctx.wanted > sample.lines.length ? ` (${ctx.wanted} asked for: that is all there are)` : "";
    notes.push(
      `${plural(sample.lines.length, "original example")} of ${sample.dataset} mixed in, so old skills are kept${capped}`,
    );
  }
  if (ctx.replaced > 0)
    notes.push(
      `${plural(ctx.replaced, "original example")} asking what a correction answers left out (the correction replaces the old answer)`,
    );
  notes.push(...ctx.originalNotes);
  const held = plan.originalHeldOut;
  const sets = [
    held
      ? `${plural(held.examples, "original held-out example")} (${held.kind === "dataset" ? held.id : held.what}), where it must be no worse`
      : null,
    heldOut.length
      ? `the ${plural(heldOut.length, "correction")} held out, where it must do better`
      : null,
  ].filter((s): s is string => s !== null);
  if (sets.length)
    notes.push(
      `the gate compares version ${current.version} and the new model on ${sets.join(", and on ")}`,
    );
  notes.push(
    plan.regressionExamples
      ? `${plural(plan.regressionExamples, "regression example")} pinned to ${name} must not break`
      : `no regression examples are pinned to ${name}`,
  );
  notes.push(
    `training continues from ${current.model} (version ${current.version} of ${name}); the new model becomes version ${plan.nextVersion} only if the gate promotes it`,
    "the overfitting guard is off: it would keep the checkpoint that kept the old answers best, which is the one that learned the corrections least; the gate judges the trained model on both",
  );
  if (plan.refusal) notes.push(`cannot start: ${plan.refusal}`);
  return notes;
}

/** The plan as the API and the CLI show it, with what was made of it. */
export function planView(
  plan: Plan,
  made: {
    dryRun: boolean;
    datasetId?: string | null;
    heldOutDatasetId?: string | null;
    originalHeldOut?: string | null;
    jobId?: string | null;
  },
): RetrainResponse {
  const held = plan.originalHeldOut;
  return {
    object: "model_name.retrain",
    name: plan.name,
    current: plan.current,
    accepted: { train: plan.train.map((i) => i.id), held_out: plan.heldOut.map((i) => i.id) },
    original_sample: plan.sample.lines.length,
    regression_examples: plan.regressionExamples,
    dataset_id: made.datasetId ?? null,
    job_id: made.jobId ?? null,
    dry_run: made.dryRun,
    held_out_dataset_id: made.heldOutDatasetId ?? null,
    original_dataset: plan.sample.dataset,
    original_held_out: made.originalHeldOut ?? (held?.kind === "dataset" ? held.id : null),
    notes: plan.notes,
  };
}
