/**
 * What the general set's answers say: how many right answers of the base the tuned model lost and
 * gained, one sentence for a reader, and whether the loss is large enough to ask for a review.
 *
 * The rule: losing more than a quarter of what the base got right, and at least 3 answers, makes the
 * model `needs_review` (the lost questions named). Fewer than 3 is within what a few changed words
 * of a greedy answer do on a small set; a quarter is a loss a user would notice in ordinary use.
 */
import type { Promotion } from "../../../protocol/evals.ts";
import type { ForgettingCheck, GeneralItemResult } from "../../../protocol/forgetting.ts";

/** At least this many lost answers ... */
export const REVIEW_MIN_LOST = 3;
/** ... and more than this share of the base's right answers ask for a review. */
export const REVIEW_SHARE = 0.25;

const clip = (s: string, n: number) => {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

/** The lost questions, a few named: `"What is 7 + 5?" (base: "12", now: "blorp")`. */
export function lostItems(results: GeneralItemResult[], n = 3): string {
  const lost = results.filter((r) => r.base_correct && !r.model_correct);
  const named = lost
    .slice(0, n)
    .map(
      (r) =>
        `"${clip(r.prompt, 60)}" (base: "${clip(r.base_output, 40)}", now: "${clip(r.model_output, 40)}")`,
    );
  return `${named.join("; ")}${lost.length > n ? `; and ${lost.length - n} more` : ""}`;
}

/** Why the loss asks for a review, or null. */
export function concernOf(c: Pick<ForgettingCheck, "lost" | "base_correct" | "results">) {
  if (c.lost < REVIEW_MIN_LOST || c.lost <= REVIEW_SHARE * c.base_correct) return null;
  return `On Tailor's general questions it lost ${c.lost} of the ${c.base_correct} answers its base got right (more than a quarter), so tuning may have cost it general abilities: ${lostItems(c.results)}. Mix some general examples into the training data or train fewer epochs or at a lower learning rate, then test again; or keep it if it is only ever asked questions like its examples.`;
}

/** The results of both models on the set, counted and put in words. */
export function forgettingCheck(
  set: string,
  results: GeneralItemResult[],
  settings: { max_tokens: number; batch_size: number; base_cached: boolean },
): ForgettingCheck {
  const count = (f: (r: GeneralItemResult) => boolean) => results.filter(f).length;
  const counts = {
    items: results.length,
    base_correct: count((r) => r.base_correct),
    model_correct: count((r) => r.model_correct),
    lost: count((r) => r.base_correct && !r.model_correct),
    gained: count((r) => !r.base_correct && r.model_correct),
  };
  const concern = concernOf({ ...counts, results });
  return {
    set,
    ...counts,
    results,
    summary: summarize(counts),
    concern,
    ...settings,
  };
}

function summarize(c: {
  items: number;
  base_correct: number;
  model_correct: number;
  lost: number;
  gained: number;
}): string {
  const of = `${c.items} general questions (arithmetic, facts, formats, refusals)`;
  if (c.base_correct === 0)
    return `Its base answered none of ${of} right, so there was nothing to lose; the tuned model answered ${c.model_correct}.`;
  const gained = c.gained ? ` and gained ${c.gained}` : "";
  if (c.lost === 0)
    return `The tuned model kept all ${c.base_correct} general answers its base got right${gained}, on ${of}.`;
  return `The tuned model lost ${c.lost} of the ${c.base_correct} general answers its base got right${gained}, on ${of}.`;
}

/** The check when the set was not asked, and why. */
export function skippedCheck(set: string, why: string): ForgettingCheck {
  const none = { items: 0, base_correct: 0, model_correct: 0, lost: 0, gained: 0 };
  return {
    set,
    ...none,
    results: [],
    summary: `The general questions were not asked: ${why}.`,
    concern: null,
    skipped: why,
  };
}

/**
 * The gate's decision with the general set's verdict: its sentence added to the reason, and a loss
 * that asks for a review (see `concernOf`) makes a ready model `needs_review`.
 */
export function withForgetting(
  check: ForgettingCheck | undefined,
  promotion: Promotion,
): Promotion {
  if (!check || check.skipped) return promotion;
  if (!check.concern) return { ...promotion, reason: `${promotion.reason} ${check.summary}` };
  const but = promotion.status === "ready" ? "But o" : "O";
  return {
    ...promotion,
    status: "needs_review",
    reason: `${promotion.reason} ${but}${check.concern.slice(1)}`,
  };
}
