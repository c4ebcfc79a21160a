export * from "./assistants.ts";
export * from "./auth.ts";
export * from "./engine/index.ts";
export * from "./files.ts";
export * from "./jobs.ts";
export * from "./knowledge.ts";
export * from "./models.ts";
export * from "./moderation.ts";
