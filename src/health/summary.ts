/**
 * The report in words: the last 7 days against the 7 before (requests, answer length, thumbs down,
 * wrong answers, moderation flags, unfamiliar questions), and whether the model looks out of date,
 * with what to do about it. Out of date means either:
 * - more than UNFAMILIAR_SHARE of at least MIN_CHECKED questions checked this week were unlike the
 *   training data (people ask about things it was not taught), or
 * - with at least MIN_RATINGS ratings in each week, the thumbs-down share rose by THUMBS_DOWN_RISE
 *   (15 percentage points) or more, or, with no ratings the week before, half or more of at least
 *   MIN_RATINGS ratings this week were thumbs down.
 */
import type { HealthDay } from "../../protocol/health.ts";
import { DRIFT_PERCENTILE, type DriftBasis } from "./drift.ts";

export const UNFAMILIAR_SHARE = 0.25;
export const MIN_CHECKED = 10;
export const THUMBS_DOWN_RISE = 0.15;
export const MIN_RATINGS = 10;

export interface Week {
  requests: number;
  /** Answers with a recorded length, and their characters together. */
  answers: number;
  chars: number;
  up: number;
  down: number;
  wrong: number;
  flags: number;
  checked: number;
  unfamiliar: number;
}

export function weekOf(days: readonly HealthDay[]): Week {
  const w: Week = {
    requests: 0,
    answers: 0,
    chars: 0,
    up: 0,
    down: 0,
    wrong: 0,
    flags: 0,
    checked: 0,
    unfamiliar: 0,
  };
  for (const d of days) {
    w.requests += d.requests;
    if (d.mean_answer_chars !== null) {
      w.answers += d.requests;
      w.chars += d.mean_answer_chars * d.requests;
    }
    w.up += d.thumbs_up;
    w.down += d.thumbs_down;
    w.wrong += d.wrong;
    w.flags += d.flags;
    w.checked += d.drift_checked;
    w.unfamiliar += d.unfamiliar;
  }
  return w;
}

export interface SummaryInput {
  /** Every day of the report, oldest first, ending today (at least 14 for a full comparison). */
  days: readonly HealthDay[];
  /** The name or model id the report is about, for the sentences. */
  ref: string;
  /** How drift is measured for it (null: no training data to compare with). */
  drift: DriftBasis | null;
  /** The command that retrains it (null when it has no name to retrain). */
  retrain: string | null;
}

const pct = (part: number, whole: number) => `${Math.round((100 * part) / whole)}%`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const noneOr = (n: number) => (n === 0 ? "none" : String(n));

export function summarize(input: SummaryInput): { summary: string[]; out_of_date: boolean } {
  const now = weekOf(input.days.slice(-7));
  const before = weekOf(input.days.slice(-14, -7));
  const s: string[] = [requestsSentence(now, before)];
  if (now.answers && before.answers)
    s.push(
      `Answers were ${Math.round(now.chars / now.answers)} characters long on average (${Math.round(before.chars / before.answers)} the week before).`,
    );
  const rated = now.up + now.down;
  const ratedBefore = before.up + before.down;
  if (rated || ratedBefore) {
    const was = ratedBefore
      ? `against ${pct(before.down, ratedBefore)} (${before.down} of ${ratedBefore}) the week before`
      : "no ratings the week before";
    s.push(
      rated
        ? `${pct(now.down, rated)} of the rated answers got a thumbs down (${now.down} of ${rated}), ${was}.`
        : `Nobody rated an answer in the last 7 days (${pct(before.down, ratedBefore)} thumbs down of ${ratedBefore} the week before).`,
    );
  } else s.push("Nobody rated an answer in the last 14 days.");
  if (now.wrong || before.wrong)
    s.push(
      `${now.wrong === 0 ? "No answer was" : plural(now.wrong, "answer was", "answers were")} marked wrong or corrected (${noneOr(before.wrong)} the week before).`,
    );
  if (now.flags || before.flags)
    s.push(
      `Moderation flagged ${plural(now.flags, "request")} (${noneOr(before.flags)} the week before).`,
    );
  s.push(...driftSentences(input, now, before));

  const reasons: string[] = [];
  if (now.checked >= MIN_CHECKED && now.unfamiliar / now.checked > UNFAMILIAR_SHARE)
    reasons.push(
      `${pct(now.unfamiliar, now.checked)} of this week's questions are unlike what it was trained on (more than ${pct(UNFAMILIAR_SHARE, 1)})`,
    );
  const downShare = rated ? now.down / rated : 0;
  if (rated >= MIN_RATINGS && ratedBefore >= MIN_RATINGS) {
    const rise = downShare - before.down / ratedBefore;
    if (rise >= THUMBS_DOWN_RISE)
      reasons.push(
        `the thumbs-down share rose by ${Math.round(rise * 100)} points (${pct(THUMBS_DOWN_RISE, 1)} or more is a warning)`,
      );
  } else if (rated >= MIN_RATINGS && ratedBefore === 0 && downShare >= 0.5)
    reasons.push(`${pct(now.down, rated)} of this week's ratings are thumbs down`);

  if (reasons.length) {
    const todo = input.retrain
      ? `review the answers people marked wrong and retrain: tailor review list, then ${input.retrain}`
      : "review the answers people marked wrong (tailor review list) and train it again on corrected examples";
    s.push(`${input.ref} looks out of date: ${reasons.join("; and ")}. What to do: ${todo}.`);
  } else {
    const thin = rated < MIN_RATINGS && now.checked < MIN_CHECKED;
    s.push(
      thin
        ? `Nothing suggests ${input.ref} is out of date, but this week had too few ratings and checked questions to tell much.`
        : `Nothing suggests ${input.ref} is out of date.`,
    );
  }
  return { summary: s, out_of_date: reasons.length > 0 };
}

function requestsSentence(now: Week, before: Week): string {
  if (!now.requests && !before.requests) return "No requests in the last 14 days.";
  const head = `${plural(now.requests, "request")} in the last 7 days`;
  if (!before.requests) return `${head} (none the week before).`;
  const change = (now.requests - before.requests) / before.requests;
  if (Math.abs(change) < 0.05)
    return `${head}, about as many as the week before (${before.requests}).`;
  return `${head}, ${change > 0 ? "up" : "down"} ${Math.round(Math.abs(change) * 100)}% from ${before.requests} the week before.`;
}

function driftSentences(input: SummaryInput, now: Week, before: Week): string[] {
  const d = input.drift;
  if (!d)
    return [
      "Unfamiliar questions are not measured: there are no training examples to compare the questions with (a base model, or its training data is gone).",
    ];
  const how =
    d.basis === "held_out"
      ? `the ${Math.round(DRIFT_PERCENTILE * 100)}th percentile for the ${d.calibration} held-out examples`
      : `the ${Math.round(DRIFT_PERCENTILE * 100)}th percentile of each training question's distance to its nearest other (leave-one-out: the model had no held-out examples)`;
  const rule = `A question counts as unfamiliar when its nearest training question is farther than ${d.threshold.toFixed(3)} in cosine distance: ${how}.`;
  if (!now.checked && !before.checked)
    return [
      `No kept questions were checked for unfamiliar ones in the last 14 days (questions are kept with store: true, or in an assistant's conversations). ${rule}`,
    ];
  const was = before.checked
    ? `${pct(before.unfamiliar, before.checked)} of ${before.checked} the week before`
    : "none checked the week before";
  const head = now.checked
    ? `${pct(now.unfamiliar, now.checked)} of the ${plural(now.checked, "question")} checked in the last 7 days ${now.checked === 1 ? "was" : "were"} unlike anything in the training data (${was}).`
    : `No questions were checked in the last 7 days (${was}).`;
  return [head, rule];
}
