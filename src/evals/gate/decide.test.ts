import assert from "node:assert/strict";
import { test } from "node:test";
import { GateDecision } from "../../../protocol/versions.ts";
import type { GateRole, GateScores, SetScores } from "./compare.ts";
import { decideGate, type GateFacts, gateFailed } from "./decide.ts";

const facts: GateFacts = {
  name: "support",
  current: { version: 2, model: "ft:support-2" },
  candidate: { version: 3, model: "ft:support-3" },
  now: 1_800_000_000,
};

/** A set from [current, candidate] scores per example; the metric is their mean (ROUGE-L here). */
function set(role: GateRole, pairs: [number, number][], metric = "rouge_l" as const): SetScores {
  const rows = pairs.map(([current, candidate], i) => ({
    prompt: `question ${i + 1}`,
    current,
    candidate,
  }));
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    role,
    source: `ds-${role}`,
    metric,
    current: mean(rows.map((r) => r.current)),
    candidate: mean(rows.map((r) => r.candidate)),
    rows,
  };
}

/** 8 original examples right or wrong (1/0): the current gets `cur` right, the candidate `cand`. */
function rightWrong(role: GateRole, cur: number[], cand: number[]): SetScores {
  return set(
    role,
    cur.map((c, i) => [c, cand[i] ?? 0]),
    "accuracy" as never,
  );
}

const original = rightWrong("original", [1, 1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 0, 0, 0]);
const corrections = set("corrections", [
  [0.2, 0.9],
  [0.1, 0.8],
  [0.3, 0.7],
  [0.5, 0.5],
]);
const pinned = set("regression", [
  [1, 1],
  [0.6, 0.6],
]);

function decide(scores: Partial<GateScores>, f: GateFacts = facts) {
  const d = decideGate(f, { original: null, corrections: null, regression: null, ...scores });
  GateDecision.parse(d); // what the job stores and the studio reads
  return d;
}

test("promoted: the same on the original set, better on the corrections, nothing pinned broken", () => {
  const d = decide({ original, corrections, regression: pinned });
  assert.equal(d.promote, true);
  assert.equal(
    d.reason,
    "Promoted support to v3: on the 8 original held-out examples it scores 62.5% accuracy, the same as v2; it answers 3 of the 4 held-out corrections better than v2 (worse on 0; 72.5% against 27.5% ROUGE-L); it breaks none of the 2 pinned examples.",
  );
  assert.deepEqual(d.current, { version: 2, model: "ft:support-2" });
  assert.deepEqual(d.candidate, { model: "ft:support-3" });
  assert.deepEqual(
    d.sets.map((s) => [s.name, s.examples, s.better, s.worse]),
    [
      ["original held-out", 8, 0, 0],
      ["accepted corrections held out", 4, 3, 0],
      ["regression set", 2, 0, 0],
    ],
  );
  assert.equal(d.decided_at, 1_800_000_000);
});

test("no worse means less than one example's worth lower on the original set", () => {
  // drift on a text set: 0.45 lower in all over 8 examples (one example's worth is 1 in all, 12.5%);
  // losing 1.05 in all is more than one example's worth
  const drift = set("original", [
    [0.6, 0.55],
    [0.5, 0.5],
    [0.4, 0.4],
    [0.3, 0.3],
    [0.5, 0.5],
    [0.5, 0.5],
    [0.5, 0.5],
    [0.5, 0.1],
  ]);
  const lost = set("original", [
    [0.6, 0.55],
    [0.5, 0.5],
    [0.4, 0.4],
    [0.3, 0.3],
    [0.5, 0.5],
    [0.5, 0.5],
    [0.5, 0.0],
    [0.5, 0.0],
  ]);
  const ok = decide({ original: drift, corrections });
  assert.equal(ok.promote, true);
  assert.match(
    ok.reason,
    /on the 8 original held-out examples it scores 41\.9% against v2's 47\.5% ROUGE-L, less than one example's worth \(12\.5%\) lower/,
  );
  const refused = decide({ original: lost, corrections });
  assert.equal(refused.promote, false);
  assert.match(refused.reason, /^Not promoted: it does worse than v2 on the 8 original/);
  assert.match(refused.reason, /worse on 3, better on 0\), one example's worth \(12\.5%\) or more/);
});

test("refused: worse on the original set by two examples, with what to do", () => {
  const worse = rightWrong("original", [1, 1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 0, 0, 1, 0, 0]);
  const d = decide({ original: worse, corrections, regression: pinned });
  assert.equal(d.promote, false);
  assert.equal(
    d.reason,
    "Not promoted: it does worse than v2 on the 8 original held-out examples (50.0% against v2's 62.5% accuracy; worse on 2, better on 1), one example's worth (12.5%) or more lower, so it may have lost what it knew. " +
      "On the other checks: it answers 3 of the 4 held-out corrections better than v2 (worse on 0; 72.5% against 27.5% ROUGE-L); it breaks none of the 2 pinned examples. " +
      "support still answers with v2; the new model is kept as v3 (ft:support-3). " +
      "See the answers with `tailor eval ft:support-3 --data ds-original --compare ft:support-2`. " +
      "If you accept it as it is, promote it by hand: `tailor models promote support v3`.",
  );
  assert.deepEqual(
    d.sets.map((s) => [s.name, s.better, s.worse]),
    [
      ["original held-out", 1, 2],
      ["accepted corrections held out", 3, 0],
      ["regression set", 0, 0],
    ],
  );
});

test("refused: no worse on the original set but not better on the corrections", () => {
  const same = set("corrections", [
    [0.2, 0.3],
    [0.4, 0.3],
    [0.5, 0.5],
  ]);
  const d = decide({ original, corrections: same, regression: pinned });
  assert.equal(d.promote, false);
  assert.match(
    d.reason,
    /^Not promoted: it is not better than v2 on the 3 held-out corrections \(36\.7% against 36\.7% ROUGE-L; better on 1, worse on 1\), so it has not shown it learned them\. On the other checks: on the 8 original/,
  );
  assert.match(d.reason, /`tailor eval ft:support-3 --data ds-corrections --compare ft:support-2`/);
});

test("refused: it breaks a pinned example the version in use answers right", () => {
  const broken = set("regression", [
    [1, 1],
    [0.8, 0.4], // answered right by v2, lower now: broken
    [0.3, 0.1], // v2 did not answer it right: lower, but not broken
    [0.6, 0.9],
  ]);
  broken.rows[1] = {
    ...(broken.rows[1] as SetScores["rows"][number]),
    prompt: "What are your\n hours?",
  };
  const d = decide({ original, corrections, regression: broken });
  assert.equal(d.promote, false);
  assert.match(
    d.reason,
    /^Not promoted: it breaks 1 of the 4 pinned examples that v2 answers right \("What are your hours\?"\)\. On the other checks: /,
  );
  assert.doesNotMatch(d.reason, /See the answers with/);
  const reg = d.sets.find((s) => s.name === "regression set");
  assert.deepEqual([reg?.examples, reg?.worse, reg?.better], [4, 1, 1]);
});

test("missing sets: no original held-out is said, no corrections held out refuses, nothing pinned is said", () => {
  const noOriginal = decide({ corrections });
  assert.equal(noOriginal.promote, true);
  assert.match(
    noOriginal.reason,
    /whether it kept its old skills was not checked, as v2 had no original held-out examples/,
  );
  assert.match(
    noOriginal.reason,
    /no examples are pinned for support, so none that must never break were checked \(pin them with `tailor models pin support --question … --expected …`\)\.$/,
  );
  assert.deepEqual(
    noOriginal.sets.map((s) => s.name),
    ["accepted corrections held out"],
  );

  const noCorrections = decide({ original, regression: pinned });
  assert.equal(noCorrections.promote, false);
  assert.match(
    noCorrections.reason,
    /^Not promoted: nothing of the accepted corrections was held out to show it learned them; accept more reviews and retrain\./,
  );
});

test("a version promoted by hand since the retrain was planned is named as the one compared with", () => {
  const d = decide(
    { original, corrections },
    {
      ...facts,
      current: { version: 4, model: "ft:support-4" },
      candidate: { version: 5, model: "ft:support-5" },
      planned: { version: 2, model: "ft:support-2" },
    },
  );
  assert.match(d.reason, /^Promoted support to v5: .* the same as v4;/);
  assert.match(
    d.reason,
    /It was compared with v4, which answers now: the retrain was planned against v2, and support has changed since\.$/,
  );
  assert.deepEqual(d.current, { version: 4, model: "ft:support-4" });
});

test("a gate that could not run keeps the model without promoting it, and says how to compare by hand", () => {
  const d = gateFailed(facts, "the engine exited with code 1");
  GateDecision.parse(d);
  assert.equal(d.promote, false);
  assert.deepEqual(d.sets, []);
  assert.equal(
    d.reason,
    "Not promoted: the comparison with v2 could not be run (the engine exited with code 1). support still answers with v2; the new model is kept as v3 (ft:support-3). Compare them with `tailor eval ft:support-3 --data FILE --compare ft:support-2` and, if it does better, promote it by hand: `tailor models promote support v3`.",
  );
});
