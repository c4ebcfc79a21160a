/** Feedback to examples: the review queue and the regression set. */
export { ReviewQueue } from "./queue.ts";
export { RegressionSet } from "./regression.ts";
