/** OpenAI's Responses API objects as Tailor stores them (for `previous_response_id`). */
export { ResponseStore, type StoredResponse } from "./store.ts";
