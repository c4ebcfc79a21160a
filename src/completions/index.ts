export { CompletionStore, type NewCompletion } from "./store.ts";
