export * from "./compare.ts";
export * from "./decide.ts";
