/**
 * OpenAI's Responses API objects: stored responses (for `previous_response_id`), the request's
 * input as the model reads it, and the response and its stream events built from a turn's events.
 */
export { annotate, type BuilderOptions, ResponseBuilder, type ResponseHead } from "./builder.ts";
export { newId, type ReadInput, readInput } from "./input.ts";
export { ResponseStore, type StoredResponse } from "./store.ts";
