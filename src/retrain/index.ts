/**
 * Retraining a model name: accepted reviews not used before become a new dataset version (with
 * lineage), mixed with a sample of the original training data, and a job continues from the
 * version in use; its gate (src/jobs/recipe/gate.ts) decides the promotion. SKELETON: helper D.
 */
export {};
