export { parseNameRef } from "./rows.ts";
export { ModelNames, type NamedModels, type NameResolution } from "./store.ts";
