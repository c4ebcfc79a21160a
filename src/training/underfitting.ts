/**
 * Underfitting, read off a run's training-loss curve (one point per step): the loss did not go
 * down, or it was still falling clearly when training ended, so the model had not finished
 * learning its examples. The counterpart of the overfitting guard, which watches validation loss.
 *
 * The curve is noisy (each step sees different examples), so it is read in fifths: the mean of the
 * first fifth is the start, the mean of the last fifth the end, and the fifth before the last one
 * says whether it was still falling. Thresholds:
 * - flat: the end is no more than 5% below the start;
 * - still falling: the last fifth is at least 8% below the fifth before it, that last drop is at
 *   least 15% of the whole drop (a curve levelling off drops far less at its end), and the end is
 *   still above a quarter of the start (a loss near its floor is learned, not underfit).
 * Fewer than 10 steps are too few to tell; a run whose validation loss rose (or that the guard
 * stopped) is overfitting rather than underfitting, so it is never called still falling.
 */

/** Below this many points the curve is not judged. */
export const MIN_POINTS = 10;
const FLAT = 0.05;
const STILL_FALLING = 0.08;
const LATE_SHARE = 0.15;
const STILL_HIGH = 0.25;

export interface Underfitting {
  kind: "flat" | "still_falling";
  /** Mean loss of the first and the last fifth of the steps. */
  start: number;
  end: number;
  /** What it means and what to do, in a sentence or two. */
  message: string;
}

export interface CurveContext {
  /** Validation loss points [step, loss] (empty without held-out examples). */
  val?: [number, number][] | undefined;
  /** The overfitting guard stopped the run. */
  stoppedEarly?: boolean | undefined;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** The diagnosis of a training-loss curve ([step, loss] points in step order), or null when fine. */
export function diagnoseUnderfitting(
  train: [number, number][],
  ctx: CurveContext = {},
): Underfitting | null {
  const losses = train.map((p) => p[1]).filter((x) => Number.isFinite(x));
  if (losses.length < MIN_POINTS) return null;
  const fifth = Math.max(2, Math.floor(losses.length / 5));
  const start = mean(losses.slice(0, fifth));
  const end = mean(losses.slice(-fifth));
  const before = mean(losses.slice(-2 * fifth, -fifth));
  const f = (x: number) => x.toFixed(3);
  if (end >= start * (1 - FLAT)) {
    return {
      kind: "flat",
      start,
      end,
      message: `Training loss did not go down (about ${f(start)} at the start, ${f(end)} at the end): the model learned little from its examples (underfitting). Raise the learning rate (\`--lr\`, or the learning-rate multiplier) or train more epochs, and check that the examples' answers are consistent: similar questions should get the same kind of answer.`,
    };
  }
  if (ctx.stoppedEarly || valRose(ctx.val ?? [])) return null;
  const lateDrop = before - end;
  const stillFalling =
    lateDrop >= STILL_FALLING * before &&
    lateDrop >= LATE_SHARE * (start - end) &&
    end > STILL_HIGH * start;
  if (!stillFalling) return null;
  return {
    kind: "still_falling",
    start,
    end,
    message: `Training loss was still falling when training ended (${f(before)} to ${f(end)} over the last fifth of the run, from ${f(start)} at the start): the model had not finished learning its examples (underfitting). Train more epochs (\`--epochs\`) or at a higher learning rate, then test it again.`,
  };
}

/** Validation loss ended clearly above its lowest point: overfitting has begun. */
function valRose(val: [number, number][]): boolean {
  if (val.length < 2) return false;
  const losses = val.map((p) => p[1]);
  const best = Math.min(...losses);
  return (losses.at(-1) ?? best) > best * 1.02;
}
