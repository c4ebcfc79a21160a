/** The summary's sentences: this week against the week before, and when a model looks out of date. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HealthDay } from "../../protocol/health.ts";
import type { DriftBasis } from "./drift.ts";
import { summarize } from "./summary.ts";

const blank = (i: number): HealthDay => ({
  day: `2026-06-${String(i + 1).padStart(2, "0")}`,
  requests: 0,
  thumbs_up: 0,
  thumbs_down: 0,
  wrong: 0,
  flags: 0,
  mean_answer_chars: null,
  drift_checked: 0,
  unfamiliar: 0,
});

/** 14 days: `before` spread over the first 7 (on their first day), `now` on the last day. */
function fortnight(before: Partial<HealthDay>, now: Partial<HealthDay>): HealthDay[] {
  const days = Array.from({ length: 14 }, (_, i) => blank(i));
  days[0] = { ...(days[0] as HealthDay), ...before };
  days[13] = { ...(days[13] as HealthDay), ...now };
  return days;
}

const heldOut: DriftBasis = {
  threshold: 0.4123,
  basis: "held_out",
  calibration: 39,
  train_questions: 116,
  source: "dataset ds-x",
};

describe("summary", () => {
  test("a quiet, healthy week in words", () => {
    const s = summarize({
      days: fortnight(
        {
          requests: 80,
          mean_answer_chars: 300,
          thumbs_up: 9,
          thumbs_down: 1,
          drift_checked: 20,
          unfamiliar: 1,
        },
        {
          requests: 100,
          mean_answer_chars: 240,
          thumbs_up: 18,
          thumbs_down: 2,
          wrong: 1,
          drift_checked: 30,
          unfamiliar: 2,
        },
      ),
      ref: "support",
      drift: heldOut,
      retrain: "tailor retrain support",
    });
    assert.equal(s.out_of_date, false);
    assert.deepEqual(s.summary, [
      "100 requests in the last 7 days, up 25% from 80 the week before.",
      "Answers were 240 characters long on average (300 the week before).",
      "10% of the rated answers got a thumbs down (2 of 20), against 10% (1 of 10) the week before.",
      "1 answer was marked wrong or corrected (none the week before).",
      "7% of the 30 questions checked in the last 7 days were unlike anything in the training data (5% of 20 the week before).",
      "A question counts as unfamiliar when its nearest training question is farther than 0.412 in cosine distance: the 95th percentile for the 39 held-out examples.",
      "Nothing suggests support is out of date.",
    ]);
  });

  test("out of date when many questions are unfamiliar: says why and what to do", () => {
    const s = summarize({
      days: fortnight(
        { requests: 40, drift_checked: 10, unfamiliar: 1 },
        { requests: 40, drift_checked: 12, unfamiliar: 4, flags: 2 },
      ),
      ref: "support",
      drift: { ...heldOut, basis: "leave_one_out", calibration: 116 },
      retrain: "tailor retrain support",
    });
    assert.equal(s.out_of_date, true);
    assert.equal(
      s.summary[0],
      "40 requests in the last 7 days, about as many as the week before (40).",
    );
    assert.ok(s.summary.includes("Moderation flagged 2 requests (none the week before)."));
    assert.match(s.summary.join(" "), /leave-one-out: the model had no held-out examples/);
    assert.equal(
      s.summary.at(-1),
      "support looks out of date: 33% of this week's questions are unlike what it was trained on (more than 25%). What to do: review the answers people marked wrong and retrain: tailor review list, then tailor retrain support.",
    );
  });

  test("out of date when the thumbs-down share rises with enough ratings, not with too few", () => {
    const rising = summarize({
      days: fortnight({ thumbs_up: 9, thumbs_down: 1 }, { thumbs_up: 6, thumbs_down: 4 }),
      ref: "ft:tiny:x:1",
      drift: null,
      retrain: null,
    });
    assert.equal(rising.out_of_date, true);
    assert.match(rising.summary.at(-1) ?? "", /the thumbs-down share rose by 30 points/);
    assert.match(rising.summary.at(-1) ?? "", /train it again on corrected examples/);

    const few = summarize({
      days: fortnight({ thumbs_up: 9, thumbs_down: 1 }, { thumbs_up: 3, thumbs_down: 4 }),
      ref: "support",
      drift: heldOut,
      retrain: "tailor retrain support",
    });
    assert.equal(few.out_of_date, false);
    assert.equal(
      few.summary.at(-1),
      "Nothing suggests support is out of date, but this week had too few ratings and checked questions to tell much.",
    );
    const unfamiliarFew = summarize({
      days: fortnight({}, { drift_checked: 9, unfamiliar: 9 }),
      ref: "support",
      drift: heldOut,
      retrain: null,
    });
    assert.equal(unfamiliarFew.out_of_date, false);
  });

  test("nothing happened, and a base model: said plainly", () => {
    const s = summarize({ days: fortnight({}, {}), ref: "tiny", drift: null, retrain: null });
    assert.deepEqual(s.summary, [
      "No requests in the last 14 days.",
      "Nobody rated an answer in the last 14 days.",
      "Unfamiliar questions are not measured: there are no training examples to compare the questions with (a base model, or its training data is gone).",
      "Nothing suggests tiny is out of date, but this week had too few ratings and checked questions to tell much.",
    ]);
  });
});
