export { parseNameRef } from "./rows.ts";
export {
  ModelNames,
  type NamedModels,
  type NameResolution,
  type StorageSettings,
} from "./store.ts";
