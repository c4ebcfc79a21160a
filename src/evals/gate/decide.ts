/**
 * The gate's rule and its sentence. A retrained model is promoted only when all three hold:
 *
 * 1. On the original held-out examples (the version in use's validation data) it is no worse: its
 *    primary metric is lower by less than one example's worth (1/n of n examples), so drifting by a
 *    few words passes and losing a whole example's answer does not. No such set: not checked, said.
 * 2. On the accepted corrections held out of training it is strictly better. None held out: not
 *    promoted, since nothing would show it learned them.
 * 3. It breaks no pinned example of the name's regression set: one the version in use answers
 *    right (a score of at least RIGHT_SCORE) must not score lower. Nothing pinned: said.
 *
 * The reason names the numbers and what to do, for someone who is not an engineer.
 */
import type { GateDecision, GateSet } from "../../../protocol/versions.ts";
import { metricLabel } from "../promotion.ts";
import {
  type ExampleScores,
  GATE_ROLES,
  GATE_SET_NAMES,
  type GateScores,
  type SetScores,
} from "./compare.ts";

/** Scores closer than this are the same (as in the evaluation). */
const TIE = 1e-9;
/**
 * A pinned example counts as answered right from this score up (the label, at least half the JSON
 * fields, or at least half the expected words in order).
 */
export const RIGHT_SCORE = 0.5;

export interface GateVersion {
  version: number;
  model: string;
}

export interface GateFacts {
  name: string;
  /** The version answering now (what the candidate is compared with). */
  current: GateVersion;
  /** The version it will be added as. */
  candidate: GateVersion;
  /** The version the retrain was planned against, when another answers now. */
  planned?: GateVersion | undefined;
  now?: number | undefined;
}

/** A check's outcome: whether it passed, and its clause of the sentence. */
interface Check {
  pass: boolean;
  says: string;
  /** The command that shows the examples behind a failure. */
  look?: string;
}

export function decideGate(facts: GateFacts, scores: GateScores): GateDecision {
  const cur = `v${facts.current.version}`;
  const checks = [
    original(scores.original, facts),
    corrections(scores.corrections, facts),
    regression(scores.regression, facts),
  ];
  const promote = checks.every((c) => c.pass);
  const failed = checks.filter((c) => !c.pass);
  const passed = checks.filter((c) => c.pass);
  const look = failed.find((c) => c.look)?.look;
  const reason = promote
    ? `Promoted ${facts.name} to v${facts.candidate.version}: ${checks.map((c) => c.says).join("; ")}.`
    : [
        `Not promoted: ${failed.map((c) => c.says).join("; ")}.`,
        passed.length ? `On the other checks: ${passed.map((c) => c.says).join("; ")}.` : "",
        `${facts.name} still answers with ${cur}; the new model is kept as v${facts.candidate.version} (${facts.candidate.model}).`,
        look ? `See the answers with \`${look}\`.` : "",
        `If you accept it as it is, promote it by hand: \`tailor models promote ${facts.name} v${facts.candidate.version}\`.`,
      ]
        .filter(Boolean)
        .join(" ");
  return {
    promote,
    reason: reason + changed(facts),
    current: { version: facts.current.version, model: facts.current.model },
    candidate: { model: facts.candidate.model },
    sets: GATE_ROLES.flatMap((r) => {
      const s = scores[r];
      return s ? [gateSet(s)] : [];
    }),
    decided_at: facts.now ?? Math.floor(Date.now() / 1000),
  };
}

/** The gate could not be run (an engine error, a dataset gone): kept, not promoted, and why. */
export function gateFailed(facts: GateFacts, why: string): GateDecision {
  const cur = `v${facts.current.version}`;
  const cand = `v${facts.candidate.version}`;
  return {
    promote: false,
    reason: `Not promoted: the comparison with ${cur} could not be run (${why}). ${facts.name} still answers with ${cur}; the new model is kept as ${cand} (${facts.candidate.model}). Compare them with \`tailor eval ${facts.candidate.model} --data FILE --compare ${facts.current.model}\` and, if it does better, promote it by hand: \`tailor models promote ${facts.name} ${cand}\`.${changed(facts)}`,
    current: { version: facts.current.version, model: facts.current.model },
    candidate: { model: facts.candidate.model },
    sets: [],
    decided_at: facts.now ?? Math.floor(Date.now() / 1000),
  };
}

function original(s: SetScores | null, facts: GateFacts): Check {
  const cur = `v${facts.current.version}`;
  if (!s)
    return {
      pass: true,
      says: `whether it kept its old skills was not checked, as ${cur} had no original held-out examples`,
    };
  const n = s.rows.length;
  const worth = 1 / n;
  const { better, worse } = counts(s.rows);
  const scores = `${pct(s.candidate)} against ${cur}'s ${pct(s.current)} ${metricLabel(s.metric)}`;
  const where = `on ${theN(n, "original held-out example")}`;
  if (s.current - s.candidate >= worth - TIE)
    return {
      pass: false,
      says: `it does worse than ${cur} ${where} (${scores}; worse on ${worse}, better on ${better}), one example's worth (${pct(worth)}) or more lower, so it may have lost what it knew`,
      look: lookCommand(s, facts),
    };
  if (Math.abs(s.candidate - s.current) <= TIE)
    return {
      pass: true,
      says: `${where} it scores ${pct(s.candidate)} ${metricLabel(s.metric)}, the same as ${cur}`,
    };
  return {
    pass: true,
    says:
      s.candidate > s.current
        ? `${where} it scores ${scores}`
        : `${where} it scores ${scores}, less than one example's worth (${pct(worth)}) lower`,
  };
}

function corrections(s: SetScores | null, facts: GateFacts): Check {
  const cur = `v${facts.current.version}`;
  if (!s)
    return {
      pass: false,
      says: "nothing of the accepted corrections was held out to show it learned them; accept more reviews and retrain",
    };
  const n = s.rows.length;
  const { better, worse } = counts(s.rows);
  const scores = `${pct(s.candidate)} against ${pct(s.current)} ${metricLabel(s.metric)}`;
  const set = theN(n, "held-out correction");
  if (s.candidate > s.current + TIE)
    return {
      pass: true,
      says: `it answers ${n === 1 ? set : `${better} of ${set}`} better than ${cur} (worse on ${worse}; ${scores})`,
    };
  return {
    pass: false,
    says: `it is not better than ${cur} on ${set} (${scores}; better on ${better}, worse on ${worse}), so it has not shown it learned ${n === 1 ? "it" : "them"}`,
    look: lookCommand(s, facts),
  };
}

function regression(s: SetScores | null, facts: GateFacts): Check {
  const cur = `v${facts.current.version}`;
  if (!s)
    return {
      pass: true,
      says: `no examples are pinned for ${facts.name}, so none that must never break were checked (pin them with \`tailor models pin ${facts.name} --question … --expected …\`)`,
    };
  const n = s.rows.length;
  const set = theN(n, "pinned example");
  const broken = brokenRows(s.rows);
  if (broken.length === 0)
    return { pass: true, says: n === 1 ? `it does not break ${set}` : `it breaks none of ${set}` };
  const shown = broken.slice(0, 3).map((r) => `"${clip(r.prompt)}"`);
  const more = broken.length > 3 ? ` and ${broken.length - 3} more` : "";
  return {
    pass: false,
    says: `it breaks ${n === 1 ? set : `${broken.length} of ${set}`} that ${cur} answers right (${shown.join(", ")}${more})`,
  };
}

/** Pinned examples the version in use answers right and the candidate scores lower on. */
export function brokenRows(rows: ExampleScores[]): ExampleScores[] {
  return rows.filter((r) => r.current >= RIGHT_SCORE - TIE && r.candidate < r.current - TIE);
}

function gateSet(s: SetScores): GateSet {
  const { better, worse } = counts(s.rows);
  return {
    name: GATE_SET_NAMES[s.role],
    examples: s.rows.length,
    metric: s.metric,
    current: s.current,
    candidate: s.candidate,
    // for the regression set, worse means broken (what the rule counts); better, any gain
    worse: s.role === "regression" ? brokenRows(s.rows).length : worse,
    better,
  };
}

function counts(rows: ExampleScores[]): { better: number; worse: number } {
  return {
    better: rows.filter((r) => r.candidate > r.current + TIE).length,
    worse: rows.filter((r) => r.current > r.candidate + TIE).length,
  };
}

/** The comparison behind a failing set, for someone who wants to see the answers. */
function lookCommand(s: SetScores, facts: GateFacts): string {
  return `tailor eval ${facts.candidate.model} --data ${s.source} --compare ${facts.current.model}`;
}

function changed(facts: GateFacts): string {
  const p = facts.planned;
  if (!p || (p.version === facts.current.version && p.model === facts.current.model)) return "";
  return ` It was compared with v${facts.current.version}, which answers now: the retrain was planned against v${p.version}, and ${facts.name} has changed since.`;
}

/** "the one held-out correction", "the 4 held-out corrections". */
function theN(n: number, noun: string): string {
  return n === 1 ? `the one ${noun}` : `the ${n} ${noun}s`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function clip(text: string, max = 60): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
