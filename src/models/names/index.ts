export { ModelNames } from "./store.ts";
