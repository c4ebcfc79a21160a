/**
 * Models: what kind a model is and where it comes from, defined once here for the models domain
 * and the HTTP API.
 */

/** A base model, or a base model with a fine-tuned adapter (the API lists its embedding model as a third kind). */
export const MODEL_KINDS = ["base", "fine_tuned"] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** `builtin`: shipped inside an installed Python package; `local`: registered in TAILOR_HOME's models. */
export const MODEL_ORIGINS = ["builtin", "local"] as const;
export type ModelOrigin = (typeof MODEL_ORIGINS)[number];
