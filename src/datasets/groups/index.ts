/**
 * Who a text is about: the documented lists of first names, gendered words, nationalities and
 * religions (lists.ts), the groups a text mentions, and its counterfactual twins (twins.ts). The
 * data check counts labels by group (../group-rates.ts); the evaluation's bias probe answers the
 * twins (src/evals/bias).
 */
export { AXES, AXIS_TEXT, type Axis } from "./lists.ts";
export {
  applySwap,
  findMentions,
  groupsIn,
  type Mention,
  type Swap,
  swapsFor,
  type Twin,
  twinsOf,
} from "./twins.ts";
