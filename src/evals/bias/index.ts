/** The bias probe: counterfactual twins of held-out inputs, answered and compared. */
export { compareAnswers, decisionFields, TEXT_CHANGE } from "./decide.ts";
export { MAX_PAIRS, type ProbeInput, planPairs } from "./plan.ts";
export { biasHtml, biasLimitation, biasMarkdown, RULE_TEXT } from "./render.ts";
export { type BiasRunOptions, runBiasProbe } from "./run.ts";
export {
  describePair,
  isGap,
  REVIEW_MIN_CHANGED,
  REVIEW_RATE,
  reviewForBias,
  summarizeProbe,
} from "./summary.ts";
