export { startCompletionSweep } from "./retention.ts";
export {
  CompletionStore,
  DEFAULT_RETENTION_DAYS,
  type ListOptions,
  type NewCompletion,
} from "./store.ts";
