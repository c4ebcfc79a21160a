/** Feedback to examples: the review queue and the regression set. */

export { reviewExample } from "./example.ts";
export { findItemPii, masked } from "./pii.ts";
export { DEFAULT_PAGE, MAX_PAGE, ReviewQueue, type ReviewQueueOptions } from "./queue.ts";
export { RegressionSet } from "./regression.ts";
export { decidedBy, proposedOf } from "./rows.ts";
