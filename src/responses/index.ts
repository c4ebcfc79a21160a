/**
 * OpenAI's Responses API objects: stored responses (for `previous_response_id`), the request's
 * input as the model reads it, and the response and its stream events built from a turn's events.
 */
export { ResponseStore, type StoredResponse } from "./store.ts";
