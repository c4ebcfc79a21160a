export * from "./engine.ts";
export * from "./jobs.ts";
