export * from "./card.ts";
export * from "./classification.ts";
export * from "./evaluate.ts";
export * from "./html.ts";
export * from "./metrics.ts";
export * from "./preference.ts";
export * from "./promotion.ts";
export * from "./store.ts";
